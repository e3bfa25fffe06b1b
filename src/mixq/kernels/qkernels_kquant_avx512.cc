// AVX-512 VNNI integer-dot kernels of the K-quants and IQ4_NL / Q4_1 / Q5_0 / Q5_1 (256-bit
// EVEX vectors, 32 registers; the shared tile code and the lane mapping are in
// qkernels_kquant_simd.h). One dpbusd of the unsigned codes with the int8 activation codes per
// block and (row, token), accumulating onto the activation's offset bias (quant_act.h) when the
// type's codes carry an offset; IQ4_NL's signed values are biased by 128 first (offset 128).
#include "mixq/base/context.h"
#include "mixq/kernels/qkernels_kquant_simd.h"

namespace mixq::kernels {
namespace {

struct DotAvx512 {
  template <typename W>
  static __m256i Run(__m256i codes, __m256i x, const int32_t* bias) {
    if constexpr (W::kSigned) codes = _mm256_xor_si256(codes, Mask8(0x80));
    if constexpr (W::kOffset == 0) return _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, x);
    else return _mm256_dpbusd_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)), codes, x);
  }
};

}  // namespace

bool QuantRowsKQuantAvx512(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (!GetCpuFeatures().avx512_vnni) return false;  // callers fall back to AVX2
  return KQuantRows<DotAvx512, 4, 4, 4>(w, xq, y, r0, r1);
}

}  // namespace mixq::kernels
