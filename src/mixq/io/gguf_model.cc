#include "mixq/io/gguf_model.h"

namespace mixq {
namespace {

struct GgufArch {
  const char* name;
  Architecture arch;
  RopeLayout rope_layout;
};
constexpr GgufArch kArchs[] = {
    {"llama", Architecture::kLlama, RopeLayout::kInterleaved},
    {"mistral", Architecture::kMistral, RopeLayout::kInterleaved},
    {"qwen2", Architecture::kQwen2, RopeLayout::kHalf},
    {"qwen3", Architecture::kQwen3, RopeLayout::kHalf},
};

bool HasTensor(const GgufFile& gguf, const std::string& name) {
  for (const GgufTensorInfo& t : gguf.tensor_infos())
    if (t.name == name) return true;
  return false;
}

// An optional key: absent gives `fallback`, present with the wrong type is an error.
template <typename T>
Result<T> Optional(const GgufFile& gguf, const std::string& key, T fallback, Result<T> (GgufFile::*get)(const std::string&) const) {
  if (gguf.Find(key) == nullptr) return fallback;
  return (gguf.*get)(key);
}

// Context-extension scaling would change every RoPE frequency; reject it rather than load a
// model that silently computes something else.
Status CheckRopeScaling(const GgufFile& gguf, const std::string& arch) {
  const std::string key = arch + ".rope.scaling.type";
  if (gguf.Find(key) != nullptr) {
    MIXQ_ASSIGN_OR_RETURN(std::string type, gguf.GetString(key));
    if (type != "none") return Err("[gguf] {}: '{}' is '{}'; rope scaling is not supported", gguf.path(), key, type);
  }
  if (HasTensor(gguf, "rope_freqs.weight"))
    return Err("[gguf] {}: tensor 'rope_freqs.weight' (llama3 rope scaling) is not supported", gguf.path());
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> GgufModelConfig(const GgufFile& gguf) {
  MIXQ_ASSIGN_OR_RETURN(const std::string arch_name, gguf.GetString("general.architecture"));
  const GgufArch* arch = nullptr;
  for (const GgufArch& a : kArchs)
    if (arch_name == a.name) arch = &a;
  if (arch == nullptr)
    return Err("[gguf] {}: unsupported architecture '{}' (mixq reads llama, mistral, qwen2, qwen3)", gguf.path(),
               arch_name);
  const std::string p = arch_name + ".";
  ModelConfig c;
  c.arch = arch->arch;
  c.rope_layout = arch->rope_layout;
  c.qkv_bias = c.arch == Architecture::kQwen2;
  c.qk_norm = c.arch == Architecture::kQwen3;
  MIXQ_ASSIGN_OR_RETURN(c.max_seq_len, gguf.GetInt(p + "context_length"));
  MIXQ_ASSIGN_OR_RETURN(c.dim, gguf.GetInt(p + "embedding_length"));
  MIXQ_ASSIGN_OR_RETURN(c.hidden_dim, gguf.GetInt(p + "feed_forward_length"));
  MIXQ_ASSIGN_OR_RETURN(c.n_layers, gguf.GetInt(p + "block_count"));
  MIXQ_ASSIGN_OR_RETURN(c.n_heads, gguf.GetInt(p + "attention.head_count"));
  if (c.n_heads <= 0) return Err("[gguf] {}: '{}attention.head_count' must be positive", gguf.path(), p);
  MIXQ_ASSIGN_OR_RETURN(c.n_kv_heads, Optional(gguf, p + "attention.head_count_kv", c.n_heads, &GgufFile::GetInt));
  MIXQ_ASSIGN_OR_RETURN(c.head_dim, Optional(gguf, p + "attention.key_length", c.dim / c.n_heads, &GgufFile::GetInt));
  MIXQ_ASSIGN_OR_RETURN(const int64_t value_length,
                        Optional(gguf, p + "attention.value_length", c.head_dim, &GgufFile::GetInt));
  if (value_length != c.head_dim)
    return Err("[gguf] {}: '{}attention.value_length' {} differs from key_length {}", gguf.path(), p, value_length,
               c.head_dim);
  MIXQ_ASSIGN_OR_RETURN(const double theta, Optional(gguf, p + "rope.freq_base", 10000.0, &GgufFile::GetFloat));
  MIXQ_ASSIGN_OR_RETURN(const double eps, gguf.GetFloat(p + "attention.layer_norm_rms_epsilon"));
  c.rope_theta = static_cast<float>(theta);
  c.norm_eps = static_cast<float>(eps);
  MIXQ_RETURN_IF_ERROR(CheckRopeScaling(gguf, arch_name));

  if (gguf.Find(p + "vocab_size") != nullptr) {
    MIXQ_ASSIGN_OR_RETURN(c.vocab_size, gguf.GetInt(p + "vocab_size"));
  } else if (gguf.Find("tokenizer.ggml.tokens") != nullptr) {
    const GgufValue* tokens = gguf.Find("tokenizer.ggml.tokens");
    const GgufArray* items = std::get_if<GgufArray>(&tokens->value);
    if (items == nullptr) return Err("[gguf] {}: key 'tokenizer.ggml.tokens' must be an array", gguf.path());
    c.vocab_size = static_cast<int64_t>(items->size());
  } else {
    return Err("[gguf] {}: no vocabulary size: neither '{}vocab_size' nor 'tokenizer.ggml.tokens'", gguf.path(), p);
  }
  MIXQ_ASSIGN_OR_RETURN(const int64_t bos, Optional<int64_t>(gguf, "tokenizer.ggml.bos_token_id", 1, &GgufFile::GetInt));
  MIXQ_ASSIGN_OR_RETURN(const int64_t eos, Optional<int64_t>(gguf, "tokenizer.ggml.eos_token_id", 2, &GgufFile::GetInt));
  c.bos_token_id = static_cast<int32_t>(bos);
  c.eos_token_id = static_cast<int32_t>(eos);
  c.tied_embeddings = !HasTensor(gguf, "output.weight");
  return c;
}

Status LoadGgufModel(const std::string& path, LoadedModel* model) {
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<GgufFile> gguf, GgufFile::Open(path));
  MIXQ_ASSIGN_OR_RETURN(model->config, GgufModelConfig(*gguf));
  model->path = path;
  model->format = ModelFormat::kGguf;
  gguf->AddTensorsTo(&model->tensors);
  model->gguf = std::move(gguf);
  return Status::Ok();
}

}  // namespace mixq
