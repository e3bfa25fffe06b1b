// AVX-512 activation quantization: the same f32 operations as QuantizeActivationRowRef
// (max |x|, d = amax / 127, v = x * (1 / d), truncate v +- 0.5), so the same bytes.
#include <immintrin.h>

#include "mixq/kernels/quant_act.h"

namespace mixq {

void QuantizeActivationRowAvx512(const float* x, int64_t k, int32_t offset, const ActivationRow& out) {
  int8_t* q = out.qs;
  float* d = out.d;
  int32_t* bias = out.bias;
  int32_t* sum16 = out.sum16;
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
  for (int64_t b = 0; b < k / 32; ++b) {
    const __m512 x0 = _mm512_loadu_ps(x + b * 32), x1 = _mm512_loadu_ps(x + b * 32 + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    d[b] = amax / 127.0f;
    const __m512 inv = _mm512_set1_ps(d[b] > 0.0f ? 1.0f / d[b] : 0.0f);
    auto codes = [&](__m512 xv) {
      const __m512 v = _mm512_mul_ps(xv, inv);
      // v + 0.5 with v's sign (-0.0 gives -0.5, which truncates to 0 like the scalar +0.5).
      const __m512 r = _mm512_add_ps(v, _mm512_castsi512_ps(_mm512_or_si512(
                                            _mm512_and_si512(_mm512_castps_si512(v), sign), _mm512_castps_si512(half))));
      return _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(r));
    };
    const __m256i c = _mm256_set_m128i(codes(x1), codes(x0));  // 32 int8 codes
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * 32), c);
    // Sums of 4 consecutive codes: pairs by maddubs with ones (|code| <= 127, no saturation),
    // then pairs of pairs by madd.
    const __m256i s4 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), c), _mm256_set1_epi16(1));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bias + b * 8), _mm256_mullo_epi32(s4, _mm256_set1_epi32(-offset)));
    alignas(32) int32_t s[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(s), s4);
    sum16[2 * b] = s[0] + s[1] + s[2] + s[3];
    sum16[2 * b + 1] = s[4] + s[5] + s[6] + s[7];
    out.block_bias[b] = -offset * (sum16[2 * b] + sum16[2 * b + 1]);
  }
  QuantizeActivationHalfTerms(k, offset, out);
}

}  // namespace mixq
