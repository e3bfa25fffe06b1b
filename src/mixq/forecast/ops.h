// The operator list of one forward pass of a Llama-family decoder (Llama, Mistral, Qwen2/3),
// derived from the config alone: for every operator, the floating-point operations it performs
// and the bytes it moves. This is the workload half of the LIFE-style roofline model; the
// device half is in device.h and roofline.h.
//
// A pass runs `tokens` new tokens for each of `batch` sequences, each of which already has
// `past` tokens in its KV cache (prefill chunk: tokens = chunk, decode step: tokens = 1).
// Counting rules (docs/forecast.md#operators):
//   - a multiply-add is 2 FLOPs; exp, rsqrt and division count as 1;
//   - bytes are the minimum traffic to memory: every weight read once per pass at its bits per
//     weight, every activation written once by its producer and read once by each consumer,
//     K and V read once per sequence per pass at the KV-cache type;
//   - attention is causal: new token i (0-based) attends to past + i + 1 positions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mixq/forecast/weight_types.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/dtype.h"

namespace mixq::forecast {

// What limits an operator and which efficiency factors apply to it.
enum class OpClass {
  kMatmul = 0,     // weight matrix x activations (projections, LM head, LoRA)
  kAttention = 1,  // Q.K^T and P.V against the KV cache
  kElementwise = 2,  // norms, RoPE, softmax, activation, residual adds, sampling
  kData = 3,       // pure data movement: embedding lookup, KV-cache writes
};
inline constexpr int kNumOpClasses = 4;
const char* OpClassName(OpClass op_class);  // "matmul", "attention", "elementwise", "data"
std::optional<OpClass> ParseOpClass(const std::string& name);

// Operator fusion the runtime performs (a property of the software on a device).
struct Fusion {
  bool qkv = false;              // Q, K, V projections in one kernel: input read once
  bool norm = false;             // RMSNorm folded into its consumer: output not materialised
  bool flash_attention = false;  // scores/probabilities stay on chip: no score traffic
  bool swiglu = false;           // gate, up and silu*mul in one kernel: one input read, one output
};

// Unmerged LoRA adapters (y = W x + B (A x)) on the listed projections of every layer.
struct LoraSpec {
  int64_t rank = 0;  // 0: no adapters
  std::vector<std::string> targets = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
  DType type = DType::kF16;  // adapter weights' storage type
};

// Everything about the model the forecast needs: shape, weight types, KV-cache type, adapters.
struct ModelSpec {
  ModelConfig config;
  WeightTypes weights;
  DType kv_type = DType::kF16;
  LoraSpec lora;
};

// How the runtime on a device executes the graph.
struct ExecutionSpec {
  DType activation_type = DType::kF32;  // element type of activations and attention scores
  Fusion fusion;
  // Attention reads each KV head's keys and values once per query head (a loop over query
  // heads, as mixq's engine runs it) instead of once per sequence (GQA-aware kernels).
  bool kv_per_query_head = false;
  // Matmul kernels walk a pass's token rows in blocks of this many, streaming the whole weight
  // matrix once per block (mixq's CPU engine: 32, so that the block's activations stay in L2);
  // 0: the weights are read once per pass. Reads after the first come from wherever the matrix
  // alone fits (Op::reread_bytes) and do not overlap the block's arithmetic.
  int64_t token_block = 0;
};

struct PassShape {
  int64_t tokens = 1;          // new tokens per sequence in this pass
  int64_t past = 0;            // tokens already in each sequence's KV cache
  int64_t batch = 1;           // sequences processed together
  int64_t logits_per_seq = 1;  // rows of the LM head per sequence: 0 (non-final prefill chunk),
                               // 1 (the last token), or `tokens` (all logits)
  bool sample = true;          // pick the next token from the logits (one per sequence)
};

struct Op {
  std::string group;  // operator kind, the per-operator table row: "attn_q", "softmax", ...
  int64_t layer = -1;  // -1 outside the layer stack
  OpClass op_class = OpClass::kElementwise;
  std::optional<DType> weight_type;  // matmuls: the stored type of the weight
  double flops = 0;         // operations (multiply-add = 2)
  double weight_bytes = 0;  // parameters read
  double act_bytes = 0;     // activations read and written
  double kv_bytes = 0;      // KV cache read and written
  // Matmuls in passes longer than ExecutionSpec::token_block: the weight bytes read again by
  // the blocks after the first (not in bytes(); timed from the level that holds the matrix).
  double reread_bytes = 0;
  double launches = 1;      // kernels / parallel regions it costs (0 when fused into another)
  // Matmuls: dot products computed (rows x out) and activation elements fed in (rows x in).
  // Integer kernels pay a fixed cost per dot product (the horizontal reduction, the scale
  // multiply and the store, independent of the row length) and per input element (quantizing
  // activations to 8 bits) that FLOPs, which grow with rows x in x out, do not capture.
  double outputs = 0;
  double act_elements = 0;
  bool decode = false;  // attention in a pass of one new token per sequence (a decode step)

  double bytes() const { return weight_bytes + act_bytes + kv_bytes; }
};

// The operators of one pass, in execution order.
std::vector<Op> BuildPassOps(const ModelSpec& model, const ExecutionSpec& exec, const PassShape& shape);

// Bytes per element of `type` (fractional for block-quantized types).
inline double BytesPerElement(DType type) { return DTypeBitsPerWeight(type) / 8.0; }

}  // namespace mixq::forecast
