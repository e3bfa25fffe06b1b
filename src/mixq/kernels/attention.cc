#include "mixq/kernels/attention.h"

#include <cmath>


namespace mixq {
namespace kernels {

void SoftmaxScores(float* scores, int64_t span) {
  float max = scores[0];
  for (int64_t j = 1; j < span; ++j) max = scores[j] > max ? scores[j] : max;
  double sum = 0.0;
  for (int64_t j = 0; j < span; ++j) {
    scores[j] = std::exp(scores[j] - max);
    sum += scores[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j < span; ++j) scores[j] *= inv;
}

void AttendRef(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
               float scale, float* scores, float* out) {
  for (int64_t j = 0; j < span; ++j) {
    float s = 0.0f;
    for (int64_t i = 0; i < head_dim; ++i) s += q[i] * k[j * stride + i];
    scores[j] = s * scale;
  }
  SoftmaxScores(scores, span);
  for (int64_t i = 0; i < head_dim; ++i) out[i] = 0.0f;
  for (int64_t j = 0; j < span; ++j)
    for (int64_t i = 0; i < head_dim; ++i) out[i] += scores[j] * v[j * stride + i];
}

}  // namespace kernels

void Attend(Isa isa, const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t head_dim,
            float scale, float* scores, float* out) {
  switch (isa) {
    case Isa::kAvx512: kernels::AttendAvx512(q, k, v, span, stride, head_dim, scale, scores, out); return;
    case Isa::kAvx2: kernels::AttendAvx2(q, k, v, span, stride, head_dim, scale, scores, out); return;
    case Isa::kRef: break;
  }
  kernels::AttendRef(q, k, v, span, stride, head_dim, scale, scores, out);
}

}  // namespace mixq
