// AVX-512 VNNI integer-dot kernels (256-bit vectors with EVEX: 32 registers). Per block and
// (row, token) pair: one dpbusd of the unsigned weight codes with the int8 activation codes,
// accumulating onto the activation's precomputed offset bias, so each of the 8 int32 lanes is
// the exact dot of its 4 elements; then one convert and one FMA by the block's scale product.
#include <immintrin.h>

#include "mixq/base/context.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/blocks.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// Unsigned codes (element order) and scale of one block.
struct Q4_0W {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static __m256i Codes(const uint8_t* p) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    const __m128i mask = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(packed, mask);                     // elements 0..15
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);  // elements 16..31
    return _mm256_set_m128i(hi, lo);
  }
  static float Scale(const uint8_t* p) { return HalfToFloat(*reinterpret_cast<const uint16_t*>(p)); }
};
struct Q8_0W {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static __m256i Codes(const uint8_t* p) {  // int8 + 128 as uint8
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2)), _mm256_set1_epi8(-128));
  }
  static float Scale(const uint8_t* p) { return HalfToFloat(*reinterpret_cast<const uint16_t*>(p)); }
};

template <typename W, int RB, int TB>
inline void Tile(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r, int64_t t) {
  const int64_t blocks = w.cols / 32;
  const uint8_t* rows[RB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  const int8_t* xs[TB];
  const float* ds[TB];
  const int32_t* bs[TB];
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
    xs[j] = xq.row_qs(t + j);
    ds[j] = xq.row_d(t + j);
    bs[j] = xq.row_bias(t + j);
  }
  __m256 acc[RB][TB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i wv[RB];
    __m256 dw[RB];
    MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
      const uint8_t* blk = rows[i] + b * W::kBytes;
      wv[i] = W::Codes(blk);
      dw[i] = _mm256_set1_ps(W::Scale(blk));
    }
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs[j] + b * 32));
      const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bs[j] + b * 8));
      const __m256 dx = _mm256_set1_ps(ds[j][b]);
      MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
        const __m256i dp = _mm256_dpbusd_epi32(bias, wv[i], xv);
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dp), _mm256_mul_ps(dw[i], dx), acc[i][j]);
      }
    }
  }
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) y[(t + j) * w.rows + r + i] = Hsum(acc[i][j]);
}

template <typename W, int RB, int TB>
void Drive(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  constexpr int64_t kTokenBlock = 32;
  const int64_t n = xq.n;
  for (int64_t tb = 0; tb < n; tb += kTokenBlock) {
    const int64_t te = tb + kTokenBlock < n ? tb + kTokenBlock : n;
    int64_t r = r0;
    for (; r + RB <= r1; r += RB) {
      int64_t t = tb;
      for (; t + TB <= te; t += TB) Tile<W, RB, TB>(w, xq, y, r, t);
      for (; t < te; ++t) Tile<W, RB, 1>(w, xq, y, r, t);
    }
    for (; r < r1; ++r) {
      int64_t t = tb;
      for (; t + TB <= te; t += TB) Tile<W, 1, TB>(w, xq, y, r, t);
      for (; t < te; ++t) Tile<W, 1, 1>(w, xq, y, r, t);
    }
  }
}

template <typename W>
void DriveAny(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (xq.n == 1) Drive<W, 4, 1>(w, xq, y, r0, r1);
  else Drive<W, 4, 4>(w, xq, y, r0, r1);
}

}  // namespace

bool QuantRowsAvx512(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (!GetCpuFeatures().avx512_vnni) return false;  // callers fall back to AVX2
  switch (w.type) {
    case DType::kQ4_0: DriveAny<Q4_0W>(w, xq, y, r0, r1); return true;
    case DType::kQ8_0: DriveAny<Q8_0W>(w, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
