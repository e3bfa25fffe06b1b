#include "mixq/forecast/weight_types.h"

#include <set>

#include "mixq/forecast/json_fields.h"

namespace mixq::forecast {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<DType> ParseTypeField(const Json& value, const std::string& field, const JsonSource& src) {
  if (!value.is_string()) return src.FieldError(field, "must be a type name string such as \"q4_K\"");
  std::optional<DType> type = ParseDType(value.get<std::string>());
  if (!type) return src.FieldError(field, fmt::format("unknown type '{}'", value.get<std::string>()));
  return *type;
}

}  // namespace

DType WeightTypes::TypeOf(const std::string& name) const {
  auto it = per_tensor.find(name);
  if (it != per_tensor.end()) return it->second;
  if (EndsWith(name, "norm.weight") || EndsWith(name, ".bias")) return DType::kF32;
  return default_type;
}

Result<Plan> ParsePlan(const std::string& json_text, const std::string& source) {
  const JsonSource src{"plan", source};
  MIXQ_ASSIGN_OR_RETURN(Json root, ParseJsonObject(json_text, src));
  MIXQ_RETURN_IF_ERROR(CheckSchemaVersion(root, src));
  Plan plan;
  if (auto it = root.find("default_type"); it != root.end()) {
    MIXQ_ASSIGN_OR_RETURN(plan.weights.default_type, ParseTypeField(*it, "default_type", src));
  }
  if (auto it = root.find("kv_type"); it != root.end()) {
    MIXQ_ASSIGN_OR_RETURN(DType kv, ParseTypeField(*it, "kv_type", src));
    plan.kv_type = kv;
  }
  MIXQ_ASSIGN_OR_RETURN(const Json* tensors, OptionalObject(root, "tensors", "", src));
  if (!tensors) return src.FieldError("tensors", "missing");
  for (const auto& [name, value] : tensors->items()) {
    MIXQ_ASSIGN_OR_RETURN(DType type, ParseTypeField(value, "tensors." + name, src));
    plan.weights.per_tensor[name] = type;
  }
  return plan;
}

Result<Plan> LoadPlan(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "plan"));
  return ParsePlan(text, path);
}

std::vector<TensorShape> ModelTensors(const ModelConfig& c) {
  std::vector<TensorShape> out;
  out.push_back({"token_embd.weight", c.vocab_size * c.dim});
  for (int64_t l = 0; l < c.n_layers; ++l) {
    auto add = [&](const char* suffix, int64_t n) { out.push_back({LayerTensorName(l, suffix), n}); };
    add("attn_norm.weight", c.dim);
    add("attn_q.weight", c.q_dim() * c.dim);
    add("attn_k.weight", c.kv_dim() * c.dim);
    add("attn_v.weight", c.kv_dim() * c.dim);
    if (c.qkv_bias) {
      add("attn_q.bias", c.q_dim());
      add("attn_k.bias", c.kv_dim());
      add("attn_v.bias", c.kv_dim());
    }
    if (c.qk_norm) {
      add("attn_q_norm.weight", c.head_dim);
      add("attn_k_norm.weight", c.head_dim);
    }
    add("attn_output.weight", c.dim * c.q_dim());
    add("ffn_norm.weight", c.dim);
    add("ffn_gate.weight", c.hidden_dim * c.dim);
    add("ffn_up.weight", c.hidden_dim * c.dim);
    add("ffn_down.weight", c.dim * c.hidden_dim);
  }
  out.push_back({"output_norm.weight", c.dim});
  if (!c.tied_embeddings) out.push_back({"output.weight", c.vocab_size * c.dim});
  return out;
}

Status CheckPlanMatchesModel(const WeightTypes& types, const ModelConfig& config, const std::string& source) {
  std::set<std::string> names;
  for (const TensorShape& t : ModelTensors(config)) names.insert(t.name);
  for (const auto& [name, type] : types.per_tensor) {
    if (!names.count(name))
      return Err("[plan] {}: 'tensors.{}': no such tensor in this model ({} layers, tied embeddings: {})", source,
                 name, config.n_layers, config.tied_embeddings);
  }
  return Status::Ok();
}

double WeightBytes(const WeightTypes& types, const ModelConfig& config) {
  double bytes = 0;
  for (const TensorShape& t : ModelTensors(config))
    bytes += static_cast<double>(t.elements) * DTypeBitsPerWeight(types.TypeOf(t.name)) / 8.0;
  return bytes;
}

}  // namespace mixq::forecast
