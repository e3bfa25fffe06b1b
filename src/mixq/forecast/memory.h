// Peak memory of a deployment: weights, KV cache, activations (docs/forecast.md#memory).
#pragma once

#include "mixq/forecast/forecast.h"

namespace mixq::forecast {

// weights:     every tensor at its type + LoRA adapters (rank x (in + out) per target).
// KV cache:    2 x layers x kv_dim x batch x context positions at the KV type.
// activations: the largest live set of one pass, with no buffer reuse inside a phase:
//              attention (x, normed x, q, k, v, scores unless flash attention, attention out),
//              FFN (x, normed x, gate, up, product) or the logits, whichever is largest,
//              at the activation type, for the biggest prefill chunk or a decode step at full
//              context.
MemoryEstimate EstimateMemory(const ModelSpec& model, const ExecutionSpec& exec, const Workload& workload);

// Bytes of the LoRA adapters of all layers.
double LoraBytes(const ModelSpec& model);

}  // namespace mixq::forecast
