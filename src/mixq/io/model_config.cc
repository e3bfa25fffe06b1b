#include "mixq/io/model_config.h"

namespace mixq {

const char* ArchitectureName(Architecture arch) {
  switch (arch) {
    case Architecture::kLlama: return "llama";
    case Architecture::kMistral: return "mistral";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kQwen3: return "qwen3";
  }
  return "?";
}

std::string LayerTensorName(int64_t layer, const char* suffix) {
  return "blk." + std::to_string(layer) + "." + suffix;
}

Status ModelConfig::Validate(const std::string& source) const {
  auto positive = [&](int64_t v, const char* field) -> Status {
    if (v <= 0) return Err("[config] {}: '{}' must be positive, got {}", source, field, v);
    return Status::Ok();
  };
  MIXQ_RETURN_IF_ERROR(positive(dim, "hidden_size"));
  MIXQ_RETURN_IF_ERROR(positive(hidden_dim, "intermediate_size"));
  MIXQ_RETURN_IF_ERROR(positive(n_layers, "num_hidden_layers"));
  MIXQ_RETURN_IF_ERROR(positive(n_heads, "num_attention_heads"));
  MIXQ_RETURN_IF_ERROR(positive(n_kv_heads, "num_key_value_heads"));
  MIXQ_RETURN_IF_ERROR(positive(head_dim, "head_dim"));
  MIXQ_RETURN_IF_ERROR(positive(vocab_size, "vocab_size"));
  MIXQ_RETURN_IF_ERROR(positive(max_seq_len, "max_position_embeddings"));
  if (n_heads % n_kv_heads != 0)
    return Err("[config] {}: num_attention_heads {} is not a multiple of num_key_value_heads {}", source, n_heads,
               n_kv_heads);
  if (head_dim % 2 != 0) return Err("[config] {}: head_dim {} must be even for RoPE", source, head_dim);
  if (!(norm_eps > 0.0f)) return Err("[config] {}: rms_norm_eps must be positive", source);
  if (!(rope_theta > 0.0f)) return Err("[config] {}: rope_theta must be positive", source);
  return Status::Ok();
}

}  // namespace mixq
