// AVX2 integer-dot kernels of the K-quants and IQ4_NL / Q4_1 / Q5_0 / Q5_1 (the shared tile
// code and the lane mapping are in qkernels_kquant_simd.h). maddubs multiplies the unsigned
// codes by the signed activation bytes into int16 pairs and madd sums the pairs into int32
// lanes (lane i = elements 4i..4i+3); the largest code is 63 (Q6_K), so 2 * 63 * 127 cannot
// saturate int16. IQ4_NL's signed codebook values move their sign onto x (|v| <= 127).
#include "mixq/kernels/qkernels_kquant_simd.h"

namespace mixq::kernels {
namespace {

struct DotAvx2 {
  template <typename W>
  static __m256i Run(__m256i codes, __m256i x, const int32_t* bias) {
    const __m256i ones = _mm256_set1_epi16(1);
    if constexpr (W::kSigned) {
      return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(codes, codes), _mm256_sign_epi8(x, codes)), ones);
    } else {
      const __m256i dp = _mm256_madd_epi16(_mm256_maddubs_epi16(codes, x), ones);
      if constexpr (W::kOffset == 0) return dp;
      else return _mm256_add_epi32(dp, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)));
    }
  }
};

}  // namespace

bool QuantRowsKQuantAvx2(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  return KQuantRows<DotAvx2, 4, 2, 2>(w, xq, y, r0, r1);  // 16 ymm registers: 2 x 2 tiles
}

}  // namespace mixq::kernels
