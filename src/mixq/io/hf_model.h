// Hugging Face checkpoints: a directory with config.json and model.safetensors, or a sharded
// model.safetensors.index.json ({"weight_map": {tensor name: shard file}}).
//
// Supported "architectures": LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM (q/k/v
// biases), Qwen3ForCausalLM (per-head q_norm/k_norm, explicit head_dim). HF stores Q/K rows in
// the rotate-half order, so the config says RopeLayout::kHalf and the rows are kept as stored.
// Tensor names are mapped to the canonical GGUF-style names of model_config.h:
//   model.embed_tokens.weight                    -> token_embd.weight
//   model.norm.weight                            -> output_norm.weight
//   lm_head.weight                               -> output.weight
//   model.layers.N.input_layernorm.weight        -> blk.N.attn_norm.weight
//   model.layers.N.self_attn.{q,k,v,o}_proj.*    -> blk.N.attn_{q,k,v,output}.*
//   model.layers.N.self_attn.{q,k}_norm.weight   -> blk.N.attn_{q,k}_norm.weight
//   model.layers.N.post_attention_layernorm.*    -> blk.N.ffn_norm.*
//   model.layers.N.mlp.{gate,up,down}_proj.*     -> blk.N.ffn_{gate,up,down}.*
// Other tensors (e.g. rotary_emb.inv_freq) are ignored.
#pragma once

#include <optional>
#include <string>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/io/model_files.h"

namespace mixq {

// Parses config.json text; `source` (the file path) starts every error message.
Result<ModelConfig> ParseHfConfig(const std::string& json_text, const std::string& source);
// Reads and parses a config.json file.
Result<ModelConfig> ReadHfConfig(const std::string& config_path);
// The config.json a Hugging Face loader (and mixq) reads back as the same ModelConfig;
// `torch_dtype` ("bfloat16") is written when not empty.
std::string HfConfigJson(const ModelConfig& config, const std::string& torch_dtype = "");

// HF tensor name -> canonical name; nullopt for tensors mixq does not use.
std::optional<std::string> CanonicalFromHfName(const std::string& hf_name);
// Canonical name -> HF tensor name (the inverse); the input itself if it is not canonical.
std::string HfNameFromCanonical(const std::string& canonical);

// Loads a Hugging Face directory: config, then every shard mapped once, tensors renamed.
// Does not check the tensors against the config (see model_check.h).
Status LoadHfModel(const std::string& dir, LoadedModel* model);

}  // namespace mixq
