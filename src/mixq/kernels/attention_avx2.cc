// AVX2 attention for one (token, head): as the AVX-512 version with 8-lane vectors; the
// head_dim % 8 tail is handled in scalar code, in order.
#include <immintrin.h>

#include "mixq/kernels/avx2_util.h"

#include "mixq/kernels/attention.h"

namespace mixq::kernels {
void AttendAvx2(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t hd, float scale,
                float* scores, float* out) {
  const int64_t hv = hd / 8 * 8;
  for (int64_t j = 0; j < span; ++j) {
    const float* kj = k + j * stride;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < hv; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(kj + i), acc);
    float s = Hsum(acc);
    for (int64_t i = hv; i < hd; ++i) s += q[i] * kj[i];
    scores[j] = s * scale;
  }
  SoftmaxScores(scores, span);
  for (int64_t i = 0; i < hd; ++i) out[i] = 0.0f;
  for (int64_t j = 0; j < span; ++j) {
    const __m256 p = _mm256_set1_ps(scores[j]);
    const float* vj = v + j * stride;
    for (int64_t i = 0; i < hv; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + i), _mm256_loadu_ps(out + i)));
    for (int64_t i = hv; i < hd; ++i) out[i] += scores[j] * vj[i];
  }
}

}  // namespace mixq::kernels
