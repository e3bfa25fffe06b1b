// Causal attention of one query head over the cached positions of its KV head:
//   s_j = scale * (q . k_j), p = softmax(s), out = sum_j p_j v_j,   j < span,
// with k_j = k + j * stride and v_j = v + j * stride (the KV cache is (position, kv_dim)).
// q, out: {head_dim}; scores: scratch {span}. Per ISA: scalar reference, AVX2, AVX-512.
#pragma once

#include <cstdint>

#include "mixq/base/context.h"

namespace mixq {

void Attend(Isa isa, const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
            float scale, float* scores, float* out);

namespace kernels {
using AttendFn = void (*)(const float* q, const float* k, const float* v, int64_t span, int64_t stride,
                          int64_t head_dim, float scale, float* scores, float* out);
void AttendRef(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
               float scale, float* scores, float* out);
void AttendAvx2(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
                float scale, float* scores, float* out);
void AttendAvx512(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
                  float scale, float* scores, float* out);
// Softmax of scores{span} in place, shared by every ISA (max-subtracted exp, f64 sum).
void SoftmaxScores(float* scores, int64_t span);
}  // namespace kernels

}  // namespace mixq
