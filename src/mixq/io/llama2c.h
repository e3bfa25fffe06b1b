// Karpathy's llama2.c legacy ("v0") checkpoint: a header of 7 little-endian int32
//   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
// (vocab_size < 0: an unshared classifier follows; |vocab_size| is the vocab), then f32 arrays:
//   token_embedding (V, dim)            -> token_embd.weight
//   rms_att   (L, dim)                  -> blk.N.attn_norm.weight
//   wq (L, dim, dim)  wk (L, kv_dim, dim)  wv (L, kv_dim, dim)  wo (L, dim, dim)
//   rms_ffn   (L, dim)                  -> blk.N.ffn_norm.weight
//   w1 (L, hidden, dim) -> ffn_gate   w2 (L, dim, hidden) -> ffn_down   w3 (L, hidden, dim) -> ffn_up
//   rms_final (dim)                     -> output_norm.weight
//   freq_cis_real (seq, head/2), freq_cis_imag (seq, head/2)   (skipped: recomputed)
//   wcls (V, dim)                       -> output.weight, only when unshared
// Q/K rows use the interleaved RoPE layout; rope_theta 10000, eps 1e-5, bos 1, eos 2.
#pragma once

#include <string>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/io/model_files.h"

namespace mixq {

// Reads and checks the header of a mapped or in-memory checkpoint of `file_size` bytes
// (exactly what the header implies, or an error naming both sizes).
Result<ModelConfig> ParseLlama2cHeader(const void* data, size_t file_size, const std::string& path);

// Reads only the header (for LoadModelConfig).
Result<ModelConfig> ReadLlama2cConfig(const std::string& path);

// Maps the checkpoint and adds its tensors (f32 views) under canonical names.
Status LoadLlama2cModel(const std::string& path, LoadedModel* model);

}  // namespace mixq
