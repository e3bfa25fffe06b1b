// GGUF metadata -> ModelConfig, and loading a GGUF model's tensors (already under canonical
// names: mixq's names are GGUF's). Keys read, for arch = general.architecture:
//   {arch}.context_length, .embedding_length, .feed_forward_length, .block_count,
//   .attention.head_count, .attention.head_count_kv (default head_count),
//   .attention.key_length (head_dim; default embedding_length / head_count),
//   .rope.freq_base (default 10000), .attention.layer_norm_rms_epsilon,
//   .vocab_size or else the length of tokenizer.ggml.tokens,
//   tokenizer.ggml.bos_token_id / eos_token_id (default 1 / 2).
// Architectures: llama (mistral models are written as llama too), mistral, qwen2 (q/k/v
// biases), qwen3 (q/k norms). llama.cpp's converter permutes llama Q/K rows so RoPE pairs
// adjacent dimensions (RopeLayout::kInterleaved); qwen2/qwen3 keep HF's rotate-half (kHalf).
// The output head is tied when output.weight is absent.
#pragma once

#include <string>

#include "mixq/base/status.h"
#include "mixq/io/gguf.h"
#include "mixq/io/model_config.h"
#include "mixq/io/model_files.h"

namespace mixq {

Result<ModelConfig> GgufModelConfig(const GgufFile& gguf);

// Opens the file, reads the config, adds every tensor as a view and keeps the GgufFile.
Status LoadGgufModel(const std::string& path, LoadedModel* model);

}  // namespace mixq
