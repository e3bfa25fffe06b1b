// AVX2 integer-dot kernels. maddubs multiplies unsigned by signed bytes into int16 pairs and
// madd sums pairs into int32 lanes (4 elements each, as in the AVX-512 kernels). Q4_0 codes
// (0..15) cannot saturate int16; Q8_0 uses |w| with the sign moved onto x instead of the
// 128 offset, which could saturate.
#include <immintrin.h>

#include "mixq/kernels/avx2_util.h"

#include "mixq/kernels/quant_kernels.h"
#include "mixq/kernels/tile_walk.h"
#include "mixq/quant/blocks.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// Lane i = exact dot of elements 4i..4i+3 (weights as stored, sign handled per type).
struct Q4_0W {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static constexpr bool kUsesBias = true;  // codes carry offset 8
  static __m256i Codes(const uint8_t* p) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    const __m128i mask = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), _mm_and_si128(packed, mask));
  }
  static __m256i Dot(__m256i w, __m256i x) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1));
  }
  static float Scale(const uint8_t* p) { return HalfToFloat(*reinterpret_cast<const uint16_t*>(p)); }
};
struct Q8_0W {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static constexpr bool kUsesBias = false;  // signed codes: no offset
  static __m256i Codes(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2)); }
  static __m256i Dot(__m256i w, __m256i x) { return DotSigned4(w, x); }
  static float Scale(const uint8_t* p) { return HalfToFloat(*reinterpret_cast<const uint16_t*>(p)); }
};

template <typename W, int RB, int TB>
inline void Tile(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r, int64_t t) {
  const int64_t blocks = w.cols / 32;
  const uint8_t* rows[RB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  __m256 acc[RB][TB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m256i wv[RB];
    __m256 dw[RB];
    MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
      const uint8_t* blk = rows[i] + b * W::kBytes;
      // Decode streams weights from memory: fetch the same place of the next row tile.
      if constexpr (TB == 1) _mm_prefetch(reinterpret_cast<const char*>(blk + RB * w.row_bytes), _MM_HINT_T0);
      wv[i] = W::Codes(blk);
      dw[i] = _mm256_set1_ps(W::Scale(blk));
    }
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq.row_qs(t + j) + b * 32));
      const __m256 dx = _mm256_set1_ps(xq.row_d(t + j)[b]);
      __m256i bias = _mm256_setzero_si256();
      if constexpr (W::kUsesBias) bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq.row_bias(t + j) + b * 8));
      MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
        const __m256i dp = _mm256_add_epi32(W::Dot(wv[i], xv), bias);
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dp), _mm256_mul_ps(dw[i], dx), acc[i][j]);
      }
    }
  }
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) y[(t + j) * w.rows + r + i] = Hsum(acc[i][j]);
}

template <typename W, int RB, int TB>
void Drive(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  WalkTiles<RB, TB>(xq.n, r0, r1, [&]<int R, int T>(int64_t r, int64_t t) { Tile<W, R, T>(w, xq, y, r, t); });
}

template <typename W>
void DriveAny(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (xq.n == 1) Drive<W, 4, 1>(w, xq, y, r0, r1);
  else Drive<W, 2, 2>(w, xq, y, r0, r1);  // 16 ymm registers: 4 acc + 2 w + temps
}

}  // namespace

bool QuantRowsAvx2(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  switch (w.type) {
    case DType::kQ4_0: DriveAny<Q4_0W>(w, xq, y, r0, r1); return true;
    case DType::kQ8_0: DriveAny<Q8_0W>(w, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
