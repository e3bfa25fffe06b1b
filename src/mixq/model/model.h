// A Llama-family transformer (Llama, Mistral, Qwen2, Qwen3) ready to run on the CPU.
//
// Forward pass per layer (x: {n_tokens, dim}):
//   h  = x + Wo · Attention(RoPE(Wq·rms(x)), RoPE(Wk·rms(x)), Wv·rms(x))   GQA, causal, KV cache
//   x' = h + Wdown · (silu(Wgate·rms(h)) * Wup·rms(h))                       SwiGLU
// then logits = Woutput · rms_final(x). Prefill runs a whole chunk through matrix-matrix
// products; decode is the same code with n_tokens == 1.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/io/model_files.h"
#include "mixq/kernels/matmul.h"

namespace mixq {

struct ModelWeights;  // model/weights.h

class Model {
 public:
  // Loads any supported model file (see io/model_files.h) and prepares its weights.
  static Result<std::shared_ptr<Model>> Load(const std::string& path);
  static Result<std::shared_ptr<Model>> FromFiles(std::shared_ptr<const LoadedModel> files);
  ~Model();

  const ModelConfig& config() const;
  const LoadedModel& files() const { return *files_; }
  const ModelWeights& weights() const { return *weights_; }

 private:
  Model() = default;
  std::shared_ptr<const LoadedModel> files_;
  std::unique_ptr<ModelWeights> weights_;
};

// One sequence being evaluated: its KV cache and scratch buffers, like a llama.cpp context.
class InferenceSession {
 public:
  // Holds up to `max_tokens` positions (capped by nothing: the caller decides).
  InferenceSession(std::shared_ptr<const Model> model, int64_t max_tokens);
  ~InferenceSession();

  // Runs `tokens` at positions n_past() .. n_past()+n-1 and appends them to the cache.
  // Keeps logits for every token when all_logits, else for the last one only.
  // Fails (without changing the cache) if the cache would overflow or a token is out of range.
  Status Decode(const Context& ctx, const std::vector<int32_t>& tokens, bool all_logits);

  // Row i of the last Decode's logits, {vocab_size} floats; i < n_logits().
  const float* logits(int64_t i) const;
  int64_t n_logits() const { return n_logits_; }
  int64_t n_past() const { return n_past_; }
  int64_t max_tokens() const { return max_tokens_; }
  const Model& model() const { return *model_; }
  void Reset() { n_past_ = 0; n_logits_ = 0; }

  // Called with the input of every weight matrix product during Decode: the matrix's canonical
  // name, the activations {n, cols} row-major. Used to collect calibration statistics (e.g. the
  // diagonal of X^T X per input channel). Called from the decoding thread, in layer order.
  using MatMulObserver = std::function<void(const std::string& tensor, const float* x, int64_t n, int64_t cols)>;
  void SetMatMulObserver(MatMulObserver observer) { observer_ = std::move(observer); }

 private:
  struct Scratch;
  std::shared_ptr<const Model> model_;
  int64_t max_tokens_ = 0;
  int64_t n_past_ = 0;
  int64_t n_logits_ = 0;
  std::vector<float> k_cache_;  // (layer, max_tokens, kv_dim)
  std::vector<float> v_cache_;  // (layer, max_tokens, kv_dim)
  std::vector<float> logits_;   // (n_logits, vocab)
  std::unique_ptr<Scratch> scratch_;
  MatMulObserver observer_;

  // ys[i] = x · ws[i]^T for matrices sharing the input x{n, cols}, in one parallel region.
  void Project(const Context& ctx, std::initializer_list<const WeightMatrix*> ws, const float* x, int64_t n,
               std::initializer_list<float*> ys) const;
};

}  // namespace mixq
