#include "mixq/io/hf_model.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mixq/io/safetensors.h"

namespace mixq {
namespace {

using Json = nlohmann::json;

struct ArchEntry {
  const char* hf_class;
  const char* model_type;
  Architecture arch;
};
constexpr ArchEntry kArchs[] = {
    {"LlamaForCausalLM", "llama", Architecture::kLlama},
    {"MistralForCausalLM", "mistral", Architecture::kMistral},
    {"Qwen2ForCausalLM", "qwen2", Architecture::kQwen2},
    {"Qwen3ForCausalLM", "qwen3", Architecture::kQwen3},
};

// Per-layer suffixes after "model.layers.N." / "blk.N.".
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};
constexpr std::pair<const char*, const char*> kGlobalNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Splits "<prefix>N.<rest>" into (N, rest); false if the name does not have that form.
bool SplitLayerName(const std::string& name, const std::string& prefix, int64_t* layer, std::string* rest) {
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t i = prefix.size();
  const size_t digits_begin = i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == digits_begin || i - digits_begin > 9 || i >= name.size() || name[i] != '.') return false;
  *layer = std::stoll(name.substr(digits_begin, i - digits_begin));
  *rest = name.substr(i + 1);
  return true;
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err("[hf] {}: cannot open: {}", path, std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Json> ParseJson(const std::string& text, const std::string& source) {
  Json j;
  try {  // exceptions stay inside: the parser's own message says where the JSON broke
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    return Err("[hf] {}: malformed JSON: {}", source, e.what());
  }
  if (!j.is_object()) return Err("[hf] {}: expected a JSON object", source);
  return j;
}

// Typed access to config.json fields; errors name the file and the field.
class ConfigFields {
 public:
  ConfigFields(const Json& j, const std::string& source) : j_(j), source_(source) {}

  bool Has(const char* field) const { return j_.contains(field) && !j_[field].is_null(); }
  Result<int64_t> Int(const char* field) const {
    if (!Has(field)) return Err("[hf] {}: missing required field '{}'", source_, field);
    const Json& v = j_[field];
    if (!v.is_number_integer()) return Err("[hf] {}: field '{}' must be an integer, got {}", source_, field, v.dump());
    return v.get<int64_t>();
  }
  Result<int64_t> IntOr(const char* field, int64_t fallback) const { return Has(field) ? Int(field) : fallback; }
  Result<double> FloatOr(const char* field, double fallback) const {
    if (!Has(field)) return fallback;
    const Json& v = j_[field];
    if (!v.is_number()) return Err("[hf] {}: field '{}' must be a number, got {}", source_, field, v.dump());
    return v.get<double>();
  }
  Result<bool> BoolOr(const char* field, bool fallback) const {
    if (!Has(field)) return fallback;
    const Json& v = j_[field];
    if (!v.is_boolean()) return Err("[hf] {}: field '{}' must be true or false, got {}", source_, field, v.dump());
    return v.get<bool>();
  }
  // A token id, or a list of them (eos in newer configs): the first is taken.
  Result<int64_t> TokenIdOr(const char* field, int64_t fallback) const {
    if (Has(field) && j_[field].is_array()) {
      const Json& list = j_[field];
      if (list.empty() || !list[0].is_number_integer())
        return Err("[hf] {}: field '{}' must be an integer or a list of them, got {}", source_, field, list.dump());
      return list[0].get<int64_t>();
    }
    return IntOr(field, fallback);
  }
  const Json& json() const { return j_; }
  const std::string& source() const { return source_; }

 private:
  const Json& j_;
  const std::string& source_;
};

Result<const ArchEntry*> ParseArchitecture(const ConfigFields& f) {
  const Json& j = f.json();
  std::string name;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string()) {
    name = j["architectures"][0].get<std::string>();
  } else if (f.Has("architectures")) {
    return Err("[hf] {}: field 'architectures' must be a list of class names, got {}", f.source(),
               j["architectures"].dump());
  } else {
    return Err("[hf] {}: missing required field 'architectures'", f.source());
  }
  for (const ArchEntry& entry : kArchs)
    if (name == entry.hf_class) return &entry;
  return Err("[hf] {}: unsupported architecture '{}' (mixq reads LlamaForCausalLM, MistralForCausalLM, "
             "Qwen2ForCausalLM, Qwen3ForCausalLM)",
             f.source(), name);
}

// rope_scaling: null, {"rope_type": "default"}, or Meta's llama3 frequency scaling.
Status ParseRopeScaling(const ConfigFields& f, RopeScalingLlama3* out) {
  if (!f.Has("rope_scaling")) return Status::Ok();
  const Json& rs = f.json()["rope_scaling"];
  if (!rs.is_object()) return Err("[hf] {}: field 'rope_scaling' must be null or an object, got {}", f.source(), rs.dump());
  const char* key = rs.contains("rope_type") ? "rope_type" : "type";  // newer configs say rope_type
  if (!rs.contains(key) || !rs[key].is_string())
    return Err("[hf] {}: rope_scaling has no 'rope_type' or 'type' string: {}", f.source(), rs.dump());
  const std::string type = rs[key].get<std::string>();
  if (type == "default") return Status::Ok();
  if (type != "llama3")
    return Err("[hf] {}: rope_scaling type '{}' is not supported (mixq supports 'llama3')", f.source(), type);
  const std::string source = f.source() + " rope_scaling";
  const ConfigFields s(rs, source);
  MIXQ_ASSIGN_OR_RETURN(double factor, s.FloatOr("factor", 0.0));
  MIXQ_ASSIGN_OR_RETURN(double low, s.FloatOr("low_freq_factor", 0.0));
  MIXQ_ASSIGN_OR_RETURN(double high, s.FloatOr("high_freq_factor", 0.0));
  MIXQ_ASSIGN_OR_RETURN(out->original_max_position_embeddings, s.Int("original_max_position_embeddings"));
  if (!(factor > 0) || !(low > 0) || !(high > low))
    return Err("[hf] {}: llama3 rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor > 0, got {}",
               f.source(), rs.dump());
  out->enabled = true;
  out->factor = static_cast<float>(factor);
  out->low_freq_factor = static_cast<float>(low);
  out->high_freq_factor = static_cast<float>(high);
  return Status::Ok();
}

// 1e-5f as 1e-05 rather than 9.999999747378752e-06; reads back as the same float.
double ShortestDouble(float f) { return std::stod(fmt::format("{}", f)); }

// Features outside what the forward pass implements fail loudly rather than load wrongly.
Status CheckUnsupported(const ConfigFields& f, Architecture arch) {
  if (f.Has("hidden_act") && f.json()["hidden_act"] != "silu")
    return Err("[hf] {}: hidden_act {} is not supported (mixq implements silu)", f.source(), f.json()["hidden_act"].dump());
  MIXQ_ASSIGN_OR_RETURN(bool mlp_bias, f.BoolOr("mlp_bias", false));
  if (mlp_bias) return Err("[hf] {}: 'mlp_bias': true is not supported", f.source());
  if (arch != Architecture::kQwen2) {  // Qwen2 always has q/k/v biases and no flag for them
    MIXQ_ASSIGN_OR_RETURN(bool attention_bias, f.BoolOr("attention_bias", false));
    if (attention_bias) return Err("[hf] {}: 'attention_bias': true is not supported", f.source());
  }
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> ParseHfConfig(const std::string& json_text, const std::string& source) {
  MIXQ_ASSIGN_OR_RETURN(Json j, ParseJson(json_text, source));
  const ConfigFields f(j, source);
  MIXQ_ASSIGN_OR_RETURN(const ArchEntry* arch, ParseArchitecture(f));
  MIXQ_RETURN_IF_ERROR(CheckUnsupported(f, arch->arch));
  ModelConfig c;
  c.arch = arch->arch;
  c.rope_layout = RopeLayout::kHalf;
  c.qkv_bias = c.arch == Architecture::kQwen2;
  c.qk_norm = c.arch == Architecture::kQwen3;
  MIXQ_ASSIGN_OR_RETURN(c.dim, f.Int("hidden_size"));
  MIXQ_ASSIGN_OR_RETURN(c.hidden_dim, f.Int("intermediate_size"));
  MIXQ_ASSIGN_OR_RETURN(c.n_layers, f.Int("num_hidden_layers"));
  MIXQ_ASSIGN_OR_RETURN(c.n_heads, f.Int("num_attention_heads"));
  MIXQ_ASSIGN_OR_RETURN(c.n_kv_heads, f.IntOr("num_key_value_heads", c.n_heads));
  if (c.n_heads <= 0) return Err("[hf] {}: 'num_attention_heads' must be positive, got {}", source, c.n_heads);
  MIXQ_ASSIGN_OR_RETURN(c.head_dim, f.IntOr("head_dim", c.dim / c.n_heads));
  MIXQ_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size"));
  MIXQ_ASSIGN_OR_RETURN(c.max_seq_len, f.Int("max_position_embeddings"));
  // Within the sliding window attention is ordinary causal attention, so capping the context
  // at the window keeps the forward pass exact.
  MIXQ_ASSIGN_OR_RETURN(int64_t window, f.IntOr("sliding_window", 0));
  MIXQ_ASSIGN_OR_RETURN(bool use_window, f.BoolOr("use_sliding_window", c.arch == Architecture::kMistral));
  if (use_window && window > 0 && window < c.max_seq_len) c.max_seq_len = window;
  MIXQ_ASSIGN_OR_RETURN(double eps, f.FloatOr("rms_norm_eps", 1e-6));
  MIXQ_ASSIGN_OR_RETURN(double theta, f.FloatOr("rope_theta", 10000.0));
  c.norm_eps = static_cast<float>(eps);
  c.rope_theta = static_cast<float>(theta);
  MIXQ_RETURN_IF_ERROR(ParseRopeScaling(f, &c.rope_scaling));
  MIXQ_ASSIGN_OR_RETURN(c.tied_embeddings, f.BoolOr("tie_word_embeddings", false));
  MIXQ_ASSIGN_OR_RETURN(int64_t bos, f.TokenIdOr("bos_token_id", c.bos_token_id));
  MIXQ_ASSIGN_OR_RETURN(int64_t eos, f.TokenIdOr("eos_token_id", c.eos_token_id));
  c.bos_token_id = static_cast<int32_t>(bos);
  c.eos_token_id = static_cast<int32_t>(eos);
  return c;
}

Result<ModelConfig> ReadHfConfig(const std::string& config_path) {
  MIXQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(config_path));
  return ParseHfConfig(text, config_path);
}

std::string HfConfigJson(const ModelConfig& c, const std::string& torch_dtype) {
  const ArchEntry* arch = &kArchs[0];
  for (const ArchEntry& entry : kArchs)
    if (entry.arch == c.arch) arch = &entry;
  Json j = {
      {"architectures", {arch->hf_class}},
      {"model_type", arch->model_type},
      {"hidden_size", c.dim},
      {"intermediate_size", c.hidden_dim},
      {"num_hidden_layers", c.n_layers},
      {"num_attention_heads", c.n_heads},
      {"num_key_value_heads", c.n_kv_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_seq_len},
      {"rms_norm_eps", ShortestDouble(c.norm_eps)},
      {"rope_theta", ShortestDouble(c.rope_theta)},
      {"rope_scaling", nullptr},
      {"hidden_act", "silu"},
      {"tie_word_embeddings", c.tied_embeddings},
      {"bos_token_id", c.bos_token_id},
      {"eos_token_id", c.eos_token_id},
  };
  if (c.arch != Architecture::kQwen2) j["attention_bias"] = false;
  if (c.rope_scaling.enabled)
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", ShortestDouble(c.rope_scaling.factor)},
                         {"low_freq_factor", ShortestDouble(c.rope_scaling.low_freq_factor)},
                         {"high_freq_factor", ShortestDouble(c.rope_scaling.high_freq_factor)},
                         {"original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings}};
  if (!torch_dtype.empty()) j["torch_dtype"] = torch_dtype;
  return j.dump(2) + "\n";
}

std::optional<std::string> CanonicalFromHfName(const std::string& hf_name) {
  for (const auto& [hf, canonical] : kGlobalNames)
    if (hf_name == hf) return std::string(canonical);
  int64_t layer = 0;
  std::string rest;
  if (!SplitLayerName(hf_name, "model.layers.", &layer, &rest)) return std::nullopt;
  for (const auto& [hf, canonical] : kLayerNames)
    if (rest == hf) return LayerTensorName(layer, canonical);
  return std::nullopt;
}

std::string HfNameFromCanonical(const std::string& canonical) {
  for (const auto& [hf, name] : kGlobalNames)
    if (canonical == name) return hf;
  int64_t layer = 0;
  std::string rest;
  if (SplitLayerName(canonical, "blk.", &layer, &rest))
    for (const auto& [hf, name] : kLayerNames)
      if (rest == name) return "model.layers." + std::to_string(layer) + "." + hf;
  return canonical;
}

namespace {

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// weight_map of a sharded checkpoint: shard file -> the HF tensor names it must hold.
Result<std::map<std::string, std::set<std::string>>> ReadShardIndex(const std::string& index_path) {
  MIXQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(index_path));
  MIXQ_ASSIGN_OR_RETURN(Json j, ParseJson(text, index_path));
  if (!j.contains("weight_map") || !j["weight_map"].is_object())
    return Err("[hf] {}: missing object 'weight_map'", index_path);
  std::map<std::string, std::set<std::string>> shards;
  for (const auto& [name, shard] : j["weight_map"].items()) {
    if (!shard.is_string()) return Err("[hf] {}: weight_map '{}' must name a file, got {}", index_path, name, shard.dump());
    const std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos)
      return Err("[hf] {}: weight_map '{}': shard '{}' must be a file name in the same directory", index_path, name, file);
    shards[file].insert(name);
  }
  return shards;
}

// Adds one shard's tensors under canonical names; `wanted` (empty: all) is the index's list.
Status AddShard(const SafetensorsFile& shard, const std::set<std::string>* wanted, const std::string& index_path,
                const ModelConfig& config, TensorSet* tensors) {
  std::set<std::string> found;
  for (const Tensor& t : shard.tensors) {
    if (wanted != nullptr && wanted->count(t.name) == 0) continue;  // the index is authoritative
    found.insert(t.name);
    std::optional<std::string> canonical = CanonicalFromHfName(t.name);
    if (!canonical) continue;  // e.g. rotary_emb.inv_freq: recomputed, not loaded
    if (config.tied_embeddings && *canonical == "output.weight") continue;
    if (tensors->Contains(*canonical)) return Err("[hf] {}: '{}' appears twice", shard.file->path(), t.name);
    Tensor renamed = t;
    renamed.name = *canonical;
    tensors->Add(std::move(renamed));
  }
  if (wanted != nullptr)
    for (const std::string& name : *wanted)
      if (found.count(name) == 0)
        return Err("[hf] {}: weight_map puts '{}' in {} but that shard does not hold it", index_path, name,
                   shard.file->path());
  tensors->KeepAlive(shard.file);
  return Status::Ok();
}

}  // namespace

Status LoadHfModel(const std::string& dir, LoadedModel* model) {
  model->path = dir;
  model->format = ModelFormat::kHuggingFace;
  MIXQ_ASSIGN_OR_RETURN(model->config, ReadHfConfig(dir + "/config.json"));
  const std::string index_path = dir + "/model.safetensors.index.json";
  const std::string single_path = dir + "/model.safetensors";
  if (FileExists(index_path)) {
    MIXQ_ASSIGN_OR_RETURN(auto shards, ReadShardIndex(index_path));
    for (const auto& [file, names] : shards) {
      MIXQ_ASSIGN_OR_RETURN(SafetensorsFile shard, ReadSafetensors(dir + "/" + file));
      MIXQ_RETURN_IF_ERROR(AddShard(shard, &names, index_path, model->config, &model->tensors));
    }
    return Status::Ok();
  }
  if (!FileExists(single_path))
    return Err("[hf] {}: no model.safetensors or model.safetensors.index.json in the directory", dir);
  MIXQ_ASSIGN_OR_RETURN(SafetensorsFile file, ReadSafetensors(single_path));
  return AddShard(file, nullptr, index_path, model->config, &model->tensors);
}

}  // namespace mixq
