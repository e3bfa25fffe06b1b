#include "mixq/io/model_check.h"

namespace mixq {

std::vector<ExpectedTensor> ExpectedModelTensors(const ModelConfig& c) {
  std::vector<ExpectedTensor> out;
  out.push_back({"token_embd.weight", {c.vocab_size, c.dim}});
  out.push_back({"output_norm.weight", {c.dim}});
  if (!c.tied_embeddings) out.push_back({"output.weight", {c.vocab_size, c.dim}});
  for (int64_t l = 0; l < c.n_layers; ++l) {
    auto add = [&](const char* suffix, std::vector<int64_t> shape) {
      out.push_back({LayerTensorName(l, suffix), std::move(shape)});
    };
    add("attn_norm.weight", {c.dim});
    add("attn_q.weight", {c.q_dim(), c.dim});
    add("attn_k.weight", {c.kv_dim(), c.dim});
    add("attn_v.weight", {c.kv_dim(), c.dim});
    if (c.qkv_bias) {
      add("attn_q.bias", {c.q_dim()});
      add("attn_k.bias", {c.kv_dim()});
      add("attn_v.bias", {c.kv_dim()});
    }
    if (c.qk_norm) {
      add("attn_q_norm.weight", {c.head_dim});
      add("attn_k_norm.weight", {c.head_dim});
    }
    add("attn_output.weight", {c.dim, c.q_dim()});
    add("ffn_norm.weight", {c.dim});
    add("ffn_gate.weight", {c.hidden_dim, c.dim});
    add("ffn_up.weight", {c.hidden_dim, c.dim});
    add("ffn_down.weight", {c.dim, c.hidden_dim});
  }
  return out;
}

Status CheckModelTensors(const ModelConfig& config, const TensorSet& tensors, const std::string& source,
                         SourceTensorNamer source_name) {
  auto display = [&](const std::string& name) {
    if (source_name == nullptr) return "'" + name + "'";
    const std::string original = source_name(name);
    return original == name ? "'" + name + "'" : fmt::format("'{}' ({})", original, name);
  };
  for (const ExpectedTensor& want : ExpectedModelTensors(config)) {
    const Tensor* t = tensors.Find(want.name);
    if (t == nullptr)
      return Err("[model] {}: missing tensor {} (expected shape {})", source, display(want.name),
                 ShapeToString(want.shape));
    if (t->shape != want.shape)
      return Err("[model] {}: tensor {} has shape {} but the config needs {}", source, display(want.name),
                 ShapeToString(t->shape), ShapeToString(want.shape));
  }
  return Status::Ok();
}

}  // namespace mixq
