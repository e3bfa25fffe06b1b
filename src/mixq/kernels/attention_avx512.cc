// AVX-512 attention for one (token, head): dots with masked loads, the shared softmax, then
// the weighted sum of values kept in NV registers (head_dim <= 16 * NV) across all keys.
#include <immintrin.h>

#include "mixq/kernels/attention.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

inline __mmask16 Mask(int64_t remaining) {
  return remaining >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << remaining) - 1);
}

template <int NV>
void AttendFixed(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t hd,
                 float scale, float* scores, float* out) {
  __m512 qv[NV];
  __mmask16 m[NV];
  MIXQ_UNROLL for (int i = 0; i < NV; ++i) {
    m[i] = Mask(hd - 16 * i);
    qv[i] = _mm512_maskz_loadu_ps(m[i], q + 16 * i);
  }
  for (int64_t j = 0; j < span; ++j) {
    const float* kj = k + j * stride;
    __m512 acc = _mm512_mul_ps(qv[0], _mm512_maskz_loadu_ps(m[0], kj));
    MIXQ_UNROLL for (int i = 1; i < NV; ++i) acc = _mm512_fmadd_ps(qv[i], _mm512_maskz_loadu_ps(m[i], kj + 16 * i), acc);
    scores[j] = _mm512_reduce_add_ps(acc) * scale;
  }
  SoftmaxScores(scores, span);
  __m512 o[NV];
  MIXQ_UNROLL for (int i = 0; i < NV; ++i) o[i] = _mm512_setzero_ps();
  for (int64_t j = 0; j < span; ++j) {
    const __m512 p = _mm512_set1_ps(scores[j]);
    const float* vj = v + j * stride;
    MIXQ_UNROLL for (int i = 0; i < NV; ++i) o[i] = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m[i], vj + 16 * i), o[i]);
  }
  MIXQ_UNROLL for (int i = 0; i < NV; ++i) _mm512_mask_storeu_ps(out + 16 * i, m[i], o[i]);
}

}  // namespace

void AttendAvx512(const float* q, const float* k, const float* v, int64_t span, int64_t stride, int64_t hd,
                  float scale, float* scores, float* out) {
  switch ((hd + 15) / 16) {
    case 1: AttendFixed<1>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 2: AttendFixed<2>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 3: AttendFixed<3>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 4: AttendFixed<4>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 5: AttendFixed<5>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 6: AttendFixed<6>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 7: AttendFixed<7>(q, k, v, span, stride, hd, scale, scores, out); return;
    case 8: AttendFixed<8>(q, k, v, span, stride, hd, scale, scores, out); return;
    default: AttendRef(q, k, v, span, stride, hd, scale, scores, out);  // head_dim > 128: rare
  }
}

}  // namespace mixq::kernels
