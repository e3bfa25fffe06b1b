// What a model file says the network is: the hyper-parameters every loader (Hugging Face
// config.json, GGUF metadata, llama2.c header) produces and the forward pass consumes.
#pragma once

#include <cstdint>
#include <string>

#include "mixq/base/status.h"

namespace mixq {

enum class Architecture { kLlama, kMistral, kQwen2, kQwen3 };
const char* ArchitectureName(Architecture arch);  // "llama", "mistral", "qwen2", "qwen3"

// How RoPE pairs the dimensions of each head.
//   kInterleaved: pairs (2i, 2i+1)         llama2.c, and llama-arch GGUF (Q/K rows permuted by
//                                          llama.cpp's converter to suit this layout)
//   kHalf:        pairs (i, i + head_dim/2) Hugging Face "rotate_half" (NeoX); qwen2/3 GGUF
enum class RopeLayout { kInterleaved, kHalf };

// Meta's "llama3" frequency scaling (rope_scaling.rope_type == "llama3").
struct RopeScalingLlama3 {
  bool enabled = false;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  int64_t dim = 0;         // hidden size (d_model)
  int64_t hidden_dim = 0;  // MLP intermediate size
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;   // usually dim / n_heads; Qwen3 sets it explicitly
  int64_t vocab_size = 0;
  int64_t max_seq_len = 0;
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeLayout rope_layout = RopeLayout::kHalf;
  RopeScalingLlama3 rope_scaling;
  bool tied_embeddings = false;  // output head reuses token_embd.weight
  bool qkv_bias = false;         // Qwen2: attn_q/k/v have biases
  bool qk_norm = false;          // Qwen3: per-head RMSNorm of q and k before RoPE
  int32_t bos_token_id = 1;
  int32_t eos_token_id = 2;

  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  // Checks positivity and divisibility (n_heads % n_kv_heads, head_dim even); names the field.
  Status Validate(const std::string& source) const;
};

// Canonical tensor names inside mixq are GGUF's llama names, whatever the source format:
//   token_embd.weight        {vocab, dim}
//   output_norm.weight       {dim}
//   output.weight            {vocab, dim}          absent when tied_embeddings
//   blk.N.attn_norm.weight   {dim}
//   blk.N.attn_q.weight      {q_dim, dim}          (+ .bias {q_dim} when qkv_bias)
//   blk.N.attn_k.weight      {kv_dim, dim}         (+ .bias)
//   blk.N.attn_v.weight      {kv_dim, dim}         (+ .bias)
//   blk.N.attn_q_norm.weight {head_dim}            when qk_norm
//   blk.N.attn_k_norm.weight {head_dim}            when qk_norm
//   blk.N.attn_output.weight {dim, q_dim}
//   blk.N.ffn_norm.weight    {dim}
//   blk.N.ffn_gate.weight    {hidden_dim, dim}
//   blk.N.ffn_up.weight      {hidden_dim, dim}
//   blk.N.ffn_down.weight    {dim, hidden_dim}
std::string LayerTensorName(int64_t layer, const char* suffix);  // ("attn_q.weight") -> blk.3.attn_q.weight

}  // namespace mixq
