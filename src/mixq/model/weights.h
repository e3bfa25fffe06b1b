// The model's weights as the forward pass uses them: matrices stay in their stored type
// (views into the mapped file), small vectors (norms, biases) are converted to f32.
#pragma once

#include <memory>
#include <vector>

#include "mixq/io/model_files.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/packed.h"

namespace mixq {

struct LayerWeights {
  std::vector<float> attn_norm;  // {dim}
  std::vector<float> ffn_norm;   // {dim}
  std::vector<float> q_norm;     // {head_dim}  qk_norm only
  std::vector<float> k_norm;     // {head_dim}  qk_norm only
  std::vector<float> q_bias;     // {q_dim}     qkv_bias only
  std::vector<float> k_bias;     // {kv_dim}    qkv_bias only
  std::vector<float> v_bias;     // {kv_dim}    qkv_bias only
  WeightMatrix wq;      // {q_dim, dim}
  WeightMatrix wk;      // {kv_dim, dim}
  WeightMatrix wv;      // {kv_dim, dim}
  WeightMatrix wo;      // {dim, q_dim}
  WeightMatrix w_gate;  // {hidden_dim, dim}
  WeightMatrix w_up;    // {hidden_dim, dim}
  WeightMatrix w_down;  // {dim, hidden_dim}
};

struct ModelWeights {
  WeightMatrix token_embd;  // {vocab, dim}
  WeightMatrix output;      // {vocab, dim}; the same matrix as token_embd when tied
  std::vector<float> output_norm;  // {dim}
  std::vector<LayerWeights> layers;
  std::vector<float> rope_inv_freq;  // {head_dim / 2}, llama3 scaling applied
  // Row-interleaved copies of the quantized matrices (WeightMatrix::packed points here).
  std::vector<std::unique_ptr<PackedMatrix>> packed;
  // Copies of the f32/f16/bf16 matrices in the process's own memory (WeightMatrix::data points
  // here): streamed from the file mapping, Qwen2.5-0.5B f32 decoded at 10-13 tokens/s, from
  // the copies at 16.5-17 (one thread; docs/forecast.md#validation).
  std::vector<std::shared_ptr<void>> dense_copies;
};

// Checks every tensor's type is one the kernels run and builds the view; quantized matrices get
// a packed copy on CPUs with SIMD integer kernels (the embedding lookup keeps reading the file
// layout), f32/f16/bf16 matrices a plain copy; the file pages they replace are released.
Result<ModelWeights> PrepareWeights(const LoadedModel& files);

// RoPE inverse frequencies theta^(-2i/head_dim), i < head_dim/2, with Meta's llama3 scaling
// when enabled (as Hugging Face's _compute_llama3_parameters defines it).
std::vector<float> RopeInverseFrequencies(const ModelConfig& config);

}  // namespace mixq
