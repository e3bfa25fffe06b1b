#include "mixq/io/synth_model.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/io/hf_model.h"
#include "mixq/io/model_check.h"
#include "mixq/io/safetensors.h"

namespace mixq {
namespace {

namespace fs = std::filesystem;

struct NamedShape {
  const char* name;
  ModelConfig config;
};

ModelConfig MakeShape(Architecture arch, int64_t dim, int64_t hidden, int64_t layers, int64_t heads, int64_t kv_heads,
                      int64_t head_dim, int64_t vocab, int64_t max_pos, float theta, float eps, bool tied, int32_t bos,
                      int32_t eos) {
  ModelConfig c;
  c.arch = arch;
  c.dim = dim;
  c.hidden_dim = hidden;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.vocab_size = vocab;
  c.max_seq_len = max_pos;
  c.rope_theta = theta;
  c.norm_eps = eps;
  c.rope_layout = RopeLayout::kHalf;
  c.tied_embeddings = tied;
  c.qkv_bias = arch == Architecture::kQwen2;
  c.qk_norm = arch == Architecture::kQwen3;
  c.bos_token_id = bos;
  c.eos_token_id = eos;
  return c;
}

// The dimensions of the real models these stand in for (weights are random).
const std::vector<NamedShape>& Shapes() {
  using A = Architecture;
  static const std::vector<NamedShape> shapes = {
      {"tiny", MakeShape(A::kLlama, 64, 192, 2, 4, 2, 16, 512, 256, 10000.0f, 1e-5f, false, 1, 2)},
      {"smollm2-135m", MakeShape(A::kLlama, 576, 1536, 30, 9, 3, 64, 49152, 2048, 100000.0f, 1e-5f, true, 0, 0)},
      {"qwen2.5-0.5b",
       MakeShape(A::kQwen2, 896, 4864, 24, 14, 2, 64, 151936, 32768, 1000000.0f, 1e-6f, true, 151643, 151643)},
      {"qwen3-0.6b-llama",
       MakeShape(A::kLlama, 1024, 3072, 28, 16, 8, 128, 151936, 40960, 1000000.0f, 1e-6f, true, 151643, 151645)},
  };
  return shapes;
}

// FNV-1a of the name, mixed with the seed: each tensor gets its own stream.
uint64_t TensorSeed(uint64_t seed, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
  return h ^ (seed * 0x9e3779b97f4a7c15ull);
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Fills `out` with the tensor's values converted to its dtype; see synth_model.h for the init.
void FillTensor(const ModelConfig& c, const std::string& canonical, const Tensor& spec, uint64_t seed,
                std::vector<uint8_t>* out) {
  const size_t n = static_cast<size_t>(spec.numel());
  const size_t elem = GetDTypeInfo(spec.dtype).block_bytes;
  out->assign(n * elem, 0);
  const bool ones = EndsWith(canonical, "norm.weight");
  float std = 0.02f;
  if (EndsWith(canonical, "attn_output.weight") || EndsWith(canonical, "ffn_down.weight"))
    std /= std::sqrt(2.0f * static_cast<float>(c.n_layers));
  Rng rng(TensorSeed(seed, canonical));
  for (size_t i = 0; i < n; ++i) {
    const float v = ones ? 1.0f : std * rng.Normal();
    uint8_t* dst = out->data() + i * elem;
    if (spec.dtype == DType::kF32) {
      std::memcpy(dst, &v, 4);
    } else {
      const uint16_t h = spec.dtype == DType::kF16 ? FloatToF16(v) : FloatToBf16(v);
      std::memcpy(dst, &h, 2);
    }
  }
}

const char* TorchDtype(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "float32";
    case DType::kF16: return "float16";
    default: return "bfloat16";
  }
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Err("[synth] {}: cannot create: {}", path, std::strerror(errno));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Err("[synth] {}: write failed: {}", path, std::strerror(errno));
  return Status::Ok();
}

Status WriteWeights(const std::string& path, const ModelConfig& c, const SynthOptions& o) {
  const std::vector<ExpectedTensor> expected = ExpectedModelTensors(c);
  std::vector<Tensor> specs;
  for (const ExpectedTensor& e : expected) specs.push_back({HfNameFromCanonical(e.name), o.dtype, e.shape, nullptr, 0});
  MIXQ_ASSIGN_OR_RETURN(auto writer, SafetensorsWriter::Create(path, specs, {{"format", "pt"}, {"generator", "mixq synth"}}));
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < specs.size(); ++i) {
    FillTensor(c, expected[i].name, specs[i], o.seed, &bytes);
    MIXQ_RETURN_IF_ERROR(writer->WriteNext(bytes.data(), bytes.size()));
    if (o.progress) o.progress(i + 1, specs.size(), specs[i].name);
  }
  return writer->Finish();
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100 upwards; returned as UTF-8, indexed by byte, plus the order GPT-2 lists them in.
std::vector<std::string> ByteLevelStrings(std::vector<int>* order) {
  std::vector<std::string> strings(256);
  auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
  auto utf8 = [](int cp) {
    std::string s;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return s;
  };
  int next = 256;
  for (int b = 0; b < 256; ++b)
    if (printable(b)) order->push_back(b);
  for (int b = 0; b < 256; ++b) {
    if (!printable(b)) order->push_back(b);
    strings[b] = utf8(printable(b) ? b : next++);
  }
  return strings;
}

}  // namespace

std::vector<std::string> SynthShapeNames() {
  std::vector<std::string> names;
  for (const NamedShape& s : Shapes()) names.push_back(s.name);
  return names;
}

Result<ModelConfig> SynthShape(const std::string& name) {
  for (const NamedShape& s : Shapes())
    if (name == s.name) return s.config;
  return Err("[synth] unknown shape '{}' (built-in: {})", name, fmt::join(SynthShapeNames(), ", "));
}

Result<std::string> SynthTokenizerJson(const ModelConfig& c) {
  using Json = nlohmann::ordered_json;
  const bool shared_special = c.bos_token_id == c.eos_token_id;
  const int64_t n_special = shared_special ? 1 : 2;
  for (int64_t id : {c.bos_token_id, c.eos_token_id})
    if (id < 0 || id >= c.vocab_size) return Err("[synth] bos/eos id {} is outside the vocab ({})", id, c.vocab_size);
  if (c.vocab_size < 256 + n_special)
    return Err("[synth] vocab_size {} is too small for 256 byte tokens and {} special tokens", c.vocab_size, n_special);

  std::vector<std::string> tokens(static_cast<size_t>(c.vocab_size));
  Json added = Json::array();
  auto special = [&](int32_t id, const char* text) {
    tokens[id] = text;
    added.push_back({{"id", id}, {"content", text}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  };
  special(c.bos_token_id, shared_special ? "<|endoftext|>" : "<s>");
  if (!shared_special) special(c.eos_token_id, "</s>");
  std::vector<int> order;
  const std::vector<std::string> bytes = ByteLevelStrings(&order);
  size_t id = 0;
  for (int b : order) {  // byte tokens take the lowest ids the special tokens left free
    while (!tokens[id].empty()) ++id;
    tokens[id] = bytes[b];
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i].empty()) tokens[i] = fmt::format("<extra_{}>", i);

  Json vocab = Json::object();
  auto& entries = vocab.get_ref<Json::object_t&>();
  entries.reserve(tokens.size());
  // Appended directly: the keys are distinct by construction, and ordered_json's own insert
  // searches linearly (quadratic for a 150k vocabulary).
  for (size_t i = 0; i < tokens.size(); ++i) entries.emplace_back(tokens[i], static_cast<int64_t>(i));
  const Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  Json j = {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", added},
            {"normalizer", nullptr},
            {"pre_tokenizer", byte_level},
            {"post_processor", byte_level},
            {"decoder", byte_level},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
              {"vocab", vocab}, {"merges", Json::array()}}}};
  return j.dump(1) + "\n";
}

Status WriteSynthModel(const std::string& out_dir, const ModelConfig& config, const SynthOptions& o) {
  MIXQ_RETURN_IF_ERROR(config.Validate(out_dir));
  if (SafetensorsDTypeName(o.dtype) == nullptr)
    return Err("[synth] {}: dtype {} is not one of f32, f16, bf16", out_dir, DTypeName(o.dtype));
  std::error_code ec;
  const bool exists = fs::exists(out_dir, ec);
  if (exists && !o.overwrite) return Err("[synth] {}: already exists (not overwriting)", out_dir);
  MIXQ_ASSIGN_OR_RETURN(const std::string tokenizer, SynthTokenizerJson(config));

  const std::string tmp = out_dir + ".tmp";
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) return Err("[synth] {}: cannot create: {}", tmp, ec.message());
  MIXQ_RETURN_IF_ERROR(WriteTextFile(tmp + "/tokenizer.json", tokenizer));
  MIXQ_RETURN_IF_ERROR(WriteWeights(tmp + "/model.safetensors", config, o));
  MIXQ_RETURN_IF_ERROR(WriteTextFile(tmp + "/config.json", HfConfigJson(config, TorchDtype(o.dtype))));
  if (exists) fs::remove_all(out_dir, ec);
  if (ec) return Err("[synth] {}: cannot replace: {}", out_dir, ec.message());
  fs::rename(tmp, out_dir, ec);
  if (ec) return Err("[synth] {}: cannot rename {} onto it: {}", out_dir, tmp, ec.message());
  return Status::Ok();
}

}  // namespace mixq
