// Quantizing a whole model into a GGUF file (mixq quantize): every linear layer to one type,
// with llama.cpp-like defaults for the token embedding and the output head. Mixed precision
// does not come from here: it comes from measured plans (a later stage); this is the uniform
// baseline and the GGUF export (--type f16/f32 writes an unquantized GGUF).
//
// Tensor types (see docs/gguf.md for the tables):
//   linear layers (attn_q/k/v/output, ffn_gate/up/down)  TYPE
//   token_embd.weight   --token-embedding-type, else TYPE
//   output.weight       --output-tensor-type, else: q8_0 when TYPE is q8_0 or the rows are not
//                       a whole number of TYPE's blocks, q6_K for any other quantized TYPE,
//                       TYPE itself for f32/f16/bf16 (llama.cpp's llama_tensor_get_type rule)
//   tied embeddings     token_embd serves as the output head: --token-embedding-type, else
//                       --output-tensor-type, else the output.weight default
//   norms and biases    f32
// With `pure`, the embedding and output defaults are TYPE too (explicit overrides still apply).
// A type whose block does not divide a tensor's rows falls back (reported per tensor):
//   q2_K, q3_K -> iq4_nl; q4_K -> q5_0; q5_K -> q5_1; q6_K -> q8_0 (llama.cpp b4748's table),
//   and then, or for any other type, -> f16.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/io/model_files.h"
#include "mixq/tensor/dtype.h"

namespace mixq::eval {

// A TYPE argument: a type name (q4_0, q4_K, f16, ... case-insensitive) or one of llama.cpp's
// mix names (Q4_K_M, Q3_K_S, Q2_K_S, ...), which mixq takes as the base type (q4_K, q3_K,
// q2_K): llama.cpp's per-tensor bumps (attn_v and ffn_down in more bits) are not copied.
// The type must have a codec (quant/codec.h) or be f32/f16/bf16.
struct QuantizeType {
  DType type = DType::kQ8_0;
  std::string alias;  // the mix name given, "" for a plain type name
};
Result<QuantizeType> ParseQuantizeType(const std::string& name);

// Per-tensor importance (e.g. per-input-channel activation energy from mixq calibrate):
// canonical tensor name -> {cols} non-negative weights.
using ImportanceMap = std::map<std::string, std::vector<float>>;

struct ActivationStats;  // eval/calibration.h
// The importance of each tensor in `stats`: its mean activation energy sum_sq / n_tokens, the
// diagonal of X^T X / n (as llama.cpp's --imatrix). Tensors that saw no token are left out, so
// they are quantized without importance rather than with all-zero weights.
ImportanceMap ImportanceFromStats(const ActivationStats& stats);

struct QuantizeOptions {
  DType type = DType::kQ8_0;
  std::optional<DType> token_embedding_type;
  std::optional<DType> output_tensor_type;
  bool pure = false;
  const ImportanceMap* importance = nullptr;  // not owned; null: round-to-nearest
  std::string name;                            // general.name; "" takes the model's file name
  std::string tokenizer_path;                  // as for LoadTokenizer; "" finds the model's own
};

// The decision for one tensor.
struct TensorQuantPlan {
  std::string name;
  std::vector<int64_t> shape;  // outermost first
  DType source = DType::kF32;
  DType requested = DType::kF32;  // what the rules above asked for
  DType type = DType::kF32;       // what is written (differs after a fallback)
  bool permute_qk = false;        // rows reordered for llama.cpp's interleaved RoPE
  bool fallback() const { return requested != type; }
};

// Pure: which type each tensor gets, in the order they are written (ExpectedModelTensors).
// Fails for a quantized source tensor (mixq re-quantizes only from f32/f16/bf16), for a type
// without a codec, and for importance data of the wrong length.
Result<std::vector<TensorQuantPlan>> PlanQuantization(const LoadedModel& model, const QuantizeOptions& options);

struct TensorQuantResult {
  TensorQuantPlan plan;
  size_t bytes = 0;
  bool used_importance = false;
  double seconds = 0.0;
};

struct QuantizeProgress {
  size_t index = 0;  // 0-based, of count
  size_t count = 0;
  const TensorQuantResult* tensor = nullptr;  // the tensor just written
};
using QuantizeProgressFn = std::function<void(const QuantizeProgress&)>;

struct QuantizeSummary {
  std::string path;
  std::vector<TensorQuantResult> tensors;
  std::vector<std::string> notes;  // one line per fallback and per tensor without importance
  std::optional<uint32_t> file_type;  // general.file_type written (LLAMA_FTYPE_*)
  uint64_t file_bytes = 0;
  uint64_t tensor_bytes = 0;
  int64_t parameters = 0;
  double seconds = 0.0;
  double bits_per_weight() const { return parameters > 0 ? 8.0 * tensor_bytes / parameters : 0.0; }
};

// Plans, then streams the GGUF file tensor by tensor (rows quantized in parallel over
// ctx.n_threads; each row's bytes do not depend on the thread count) to out_path + ".tmp",
// renamed onto out_path at the end. On failure nothing is left at out_path.
Result<QuantizeSummary> QuantizeModel(const Context& ctx, const LoadedModel& model, const std::string& out_path,
                                      const QuantizeOptions& options, const QuantizeProgressFn& progress = {});

}  // namespace mixq::eval
