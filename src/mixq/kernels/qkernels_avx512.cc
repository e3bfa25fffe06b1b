// AVX-512 VNNI integer-dot kernels, two 32-element blocks per 512-bit vector. Per block pair
// and (row, token): one dpbusd of the unsigned weight codes with the int8 activation codes,
// accumulating onto the activation's precomputed offset bias, so each int32 lane is the exact
// dot of its 4 elements; then one convert and one FMA by the blocks' scale products.
#include <immintrin.h>

#include "mixq/base/context.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/kernels/tile_walk.h"
#include "mixq/quant/blocks.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

// Two consecutive blocks per 512-bit vector: codes of block b in bytes 0..31 and of block b+1
// in bytes 32..63 (element order), so int32 lanes 0..7 belong to block b and 8..15 to b+1,
// matching the activation codes and bias, which are contiguous across blocks.
// Scales2 returns the f32 scales of the two blocks in the two low floats.
// Without a second block its scale is 0 and nothing past the row is read.
inline __m128 TwoHalves(const uint8_t* p, size_t stride, bool second) {
  const uint32_t hi = second ? *reinterpret_cast<const uint16_t*>(p + stride) : 0;
  const uint32_t pair = static_cast<uint32_t>(*reinterpret_cast<const uint16_t*>(p)) | hi << 16;
  return _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(pair)));
}

struct Q4_0W {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static __m512i Codes2(const uint8_t* p, bool second) {
    const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    const __m128i b1 = second ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + kBytes + 2)) : _mm_setzero_si128();
    const __m256i packed = _mm256_set_m128i(b1, b0);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_and_si256(packed, mask);                        // [b0 0..15 | b1 0..15]
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);  // [b0 16..31 | b1 16..31]
    const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));  // [b0 lo, b0 hi, b1 lo, b1 hi]
  }
  static __m128 Scales2(const uint8_t* p, bool second) { return TwoHalves(p, kBytes, second); }
};
struct Q8_0W {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static __m512i Codes2(const uint8_t* p, bool second) {  // int8 + 128 as uint8
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2));
    const __m256i b1 = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + kBytes + 2)) : _mm256_set1_epi8(-128);
    return _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(b0), b1, 1), _mm512_set1_epi8(-128));
  }
  static __m128 Scales2(const uint8_t* p, bool second) { return TwoHalves(p, kBytes, second); }
};

// [s0 x 8, s1 x 8] from the two low floats of v.
inline __m512 SpreadTwo(__m128 v) {
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(v));
}

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
  __m512 acc[RB][TB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm512_setzero_ps();
  // One step covers blocks b and b+1; an odd last block runs with the upper half zeroed
  // (codes and activations zero, so its lanes add 0).
  auto step = [&](int64_t b, bool second) __attribute__((always_inline)) {
    const __mmask16 half = second ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>(0x00ff);
    __m512i wv[RB];
    __m512 dw[RB];
    MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
      const uint8_t* blk = rows[i] + b * W::kBytes;
      // Decode streams weights from memory: fetch the same place of the next row tile.
      if constexpr (TB == 1) _mm_prefetch(reinterpret_cast<const char*>(blk + RB * w.row_bytes), _MM_HINT_T0);
      wv[i] = W::Codes2(blk, second);
      dw[i] = SpreadTwo(W::Scales2(blk, second));
    }
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m512i xv = _mm512_maskz_loadu_epi32(half, xs[j] + b * 32);
      const __m512i bias = _mm512_maskz_loadu_epi32(half, bs[j] + b * 8);
      const __m512 dx = SpreadTwo(second ? _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(ds[j] + b)))
                                         : _mm_load_ss(ds[j] + b));  // never past the row's scales
      MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
        const __m512i dp = _mm512_dpbusd_epi32(bias, wv[i], xv);
        acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dp), _mm512_mul_ps(dw[i], dx), acc[i][j]);
      }
    }
  };
  int64_t b = 0;
  for (; b + 2 <= blocks; b += 2) step(b, true);
  if (b < blocks) step(b, false);
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) y[(t + j) * w.rows + r + i] = _mm512_reduce_add_ps(acc[i][j]);
}

template <typename W, int RB, int TB>
void Drive(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  WalkTiles<RB, TB>(xq.n, r0, r1, [&]<int R, int T>(int64_t r, int64_t t) { Tile<W, R, T>(w, xq, y, r, t); });
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
