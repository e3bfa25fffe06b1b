// The non-matmul operators of the forward pass, on f32 rows. Each processes one token's
// vector; the forward pass loops (and parallelises) over tokens and heads.
#pragma once

#include <cstdint>

#include "mixq/base/context.h"
#include "mixq/io/model_config.h"

namespace mixq {

// out = x / sqrt(mean(x^2) + eps) * weight; x, weight, out: {n}. out may alias x.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// Rotates one head vector {head_dim} in place by the angles pos * inv_freq[i].
// cos_sin: {head_dim/2} pairs (cos, sin) for this position.
void ApplyRope(float* head, int64_t head_dim, const float* cos_sin, RopeLayout layout);

// cos_sin {head_dim/2 * 2} for one position.
void RopeAngles(int64_t pos, const float* inv_freq, int64_t half, float* cos_sin);

}  // namespace mixq
