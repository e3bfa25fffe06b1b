// AVX2 kernels of the K-quants (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K) on the packed layout (packed.h):
// the terms of qkernels_kquant_ref.cc (the types with a scale per 16 elements join a block's two
// halves in integers first, HalvesBlock; results differ by f32 rounding only). Each 64-byte
// plane is two 256-bit halves, rows 0..7 and rows 8..15; a tile's two row halves are done one
// after the other, both within the same 32-column block, so decode still reads the super-block
// front to back. maddubs multiplies the unsigned codes by the signed activation codes into int16
// pairs; groups are summed in int16 as far as they cannot saturate (|pair| <= 2 * max code * 127):
//   Q4_K (codes <= 15, pair <= 3810): all 8 groups, 30480;
//   Q5_K (<= 31, 7874): 4 groups, 31496;  Q6_K (<= 63, 16002): 2 groups, 32004;
//   Q3_K (<= 7, 1778), Q2_K (<= 3, 762): the 4 groups of a half;
// then madd by ones gives an int32 lane per row (Q4_K, Q5_K) or madd by the rows' scales (the
// types with a scale per 16 elements, HalvesBlock). Q6_K's and Q3_K's codes carry +32 and +4.
#include <immintrin.h>

#include <cstring>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/kernels/avx2_util.h"
#include "mixq/kernels/decode_stream.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/tile_walk.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")
#define MIXQ_INLINE [[gnu::always_inline]] inline

namespace mixq::kernels {
namespace {

// Per type as packed_avx512.cc: kMins, kHalf (a scale per 16 elements), kOffset, plane counts,
// kHighBit (the bit a bit plane sets), kGroupsPerSum (groups summed in int16, see above).
struct Q4_KP {
  static constexpr bool kMins = true, kHalf = false;
  static constexpr int kOffset = 0, kNibblePlanes = 4, kCrumbPlanes = 0, kHighBit = 0, kGroupsPerSum = 8;
};
struct Q5_KP : Q4_KP {
  static constexpr int kHighBit = 4, kGroupsPerSum = 4;
};
struct Q6_KP {
  static constexpr bool kMins = false, kHalf = true;
  static constexpr int kOffset = 32, kNibblePlanes = 4, kCrumbPlanes = 2, kHighBit = 0, kGroupsPerSum = 2;
};
struct Q3_KP : Q6_KP {
  static constexpr int kOffset = 4, kNibblePlanes = 0, kHighBit = 2, kGroupsPerSum = 4;
};
struct Q2_KP {
  static constexpr bool kMins = true, kHalf = true;
  static constexpr int kOffset = 0, kNibblePlanes = 0, kCrumbPlanes = 2, kHighBit = 0, kGroupsPerSum = 4;
};

// Bytes of the super-block header (d, then dmin) and of one block's scales and planes (packed.h).
template <typename P>
constexpr size_t kHeader = P::kMins ? 128 : 64;
template <typename P>
constexpr size_t kBlock = 32 + 64 * (P::kNibblePlanes + P::kCrumbPlanes + (P::kHighBit ? 1 : 0));

// 8 unsigned bytes at p as 8 f32 lanes.
inline __m256 U8Lanes(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// Q4_K, Q5_K: the effective scales (dw) and mins (mw) of rows 8h..8h+7 (16 scales, then 16 mins).
MIXQ_INLINE void Scales(const uint8_t* blk, int h, __m256 d, __m256 dmin, __m256* dw, __m256* mw) {
  *dw = _mm256_mul_ps(d, U8Lanes(blk + 8 * h));
  *mw = _mm256_mul_ps(dmin, U8Lanes(blk + 16 + 8 * h));
}

// The 8 code vectors of rows 8h..8h+7 (lane r: row 8h + r's 4 codes of group q).
template <typename P>
MIXQ_INLINE void Codes(const uint8_t* planes, int h, __m256i w[8]) {
  const uint8_t* half = planes + 32 * h;
  if constexpr (P::kNibblePlanes) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    MIXQ_UNROLL for (int j = 0; j < 4; ++j) {
      const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(half + 64 * j));
      w[j] = _mm256_and_si256(p, mask);
      w[j + 4] = _mm256_and_si256(_mm256_srli_epi16(p, 4), mask);
    }
  }
  if constexpr (P::kCrumbPlanes) {
    const __m256i mask = _mm256_set1_epi8(0x03);
    MIXQ_UNROLL for (int p = 0; p < 2; ++p) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(half + 64 * (P::kNibblePlanes + p)));
      MIXQ_UNROLL for (int k = 0; k < 4; ++k) {
        const __m256i c = _mm256_and_si256(_mm256_srli_epi16(v, 2 * k), mask);
        // Bits 4..5 over the nibble (Q6_K), or the whole 2-bit code (Q2_K, Q3_K).
        w[p + 2 * k] = P::kNibblePlanes ? _mm256_or_si256(w[p + 2 * k], _mm256_slli_epi16(c, 4)) : c;
      }
    }
  }
  if constexpr (P::kHighBit) AddHighBits(planes + 64 * (P::kNibblePlanes + P::kCrumbPlanes) + 4 * h, w, 1 << P::kHighBit);
}

// int16 pair sums of groups q..q+kGroupsPerSum-1: the codes times x's groups (no saturation,
// see the top).
template <typename P>
MIXQ_INLINE __m256i PartialDot(const __m256i w[8], const int8_t* x, int q) {
  __m256i s = _mm256_maddubs_epi16(w[q], Broadcast4(x + 4 * q));
  MIXQ_UNROLL for (int i = 1; i < P::kGroupsPerSum; ++i)
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(w[q + i], Broadcast4(x + 4 * (q + i))));
  return s;
}

// Q2_K, Q6_K, Q3_K (a scale per 16 elements), rows 8h..8h+7 of block b for tokens t..t+TB-1:
// both halves are combined in integers and each token adds one f32 term per block,
//   Q2_K:        acc += (d * dx) * (scale0 * S0 + scale1 * S1) - (dmin * dx) * (min0 * X0 + min1 * X1)
//                (the scale and min terms combined before the sum, as the specification does),
//   Q6_K, Q3_K:  acc += (d * dx) * (scale0 * (S0 - offset * X0) + scale1 * (S1 - offset * X1)),
// S_h: the dot of half h's unsigned codes (int16 partial sums of kGroupsPerSum groups, each
// madd'ed by the half's scale), X_h: the half's activation code sum (|X| <= 16 * 127, an int16).
// int32 bounds (Q6_K, the largest): before the offset term 2 * 128 * 16 * 63 * 127 < 2^26; the
// final sum 2 * 128 * 16 * 32 * 127 < 2^24, so its conversion to f32 is exact.
template <typename P, int TB>
MIXQ_INLINE void HalvesBlock(const uint8_t* blk, const __m256i w[8], int h, __m256 d, __m256 dmin, const QuantizedActivations& xq,
                             int64_t t, int64_t b, __m256 acc[TB]) {
  // Lane r: row 8h+r's (half 0, half 1) scale bytes as 16-bit pairs.
  const __m128i bytes = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + 8 * h)),
                                          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + 16 + 8 * h)));
  __m256i scales, mins;
  if constexpr (P::kMins) {  // Q2_K: scale | min << 4
    const __m256i pairs = _mm256_cvtepu8_epi16(bytes);
    scales = _mm256_and_si256(pairs, _mm256_set1_epi16(15));
    mins = _mm256_srli_epi16(pairs, 4);
  } else {  // signed scales
    scales = _mm256_cvtepi8_epi16(bytes);
  }
  // (scale_h, scale_h) in each lane, for half h's int16 pair sums.
  const __m256i scale[2] = {
      _mm256_shuffle_epi8(scales, _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13,  //
                                                   0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13)),
      _mm256_shuffle_epi8(scales, _mm256_setr_epi8(2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14, 15, 14, 15,  //
                                                   2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14, 15, 14, 15))};
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
    const int8_t* x = xq.row_qs(t + j) + b * 32;
    __m256i scaled = _mm256_setzero_si256();
    MIXQ_UNROLL for (int q = 0; q < 8; q += P::kGroupsPerSum)
      scaled = _mm256_add_epi32(scaled, _mm256_madd_epi16(PartialDot<P>(w, x, q), scale[q / 4]));
    const int32_t* s16 = xq.row_sum16(t + j) + 2 * b;
    const __m256i sums = _mm256_set1_epi32(
        static_cast<int32_t>(static_cast<uint16_t>(s16[0]) | static_cast<uint32_t>(static_cast<uint16_t>(s16[1])) << 16));
    const __m256 dxv = _mm256_set1_ps(xq.row_d(t + j)[b]);
    if constexpr (P::kMins) {
      const __m256 minned = _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, sums));
      acc[j] = _mm256_add_ps(acc[j], _mm256_fmsub_ps(_mm256_mul_ps(d, dxv), _mm256_cvtepi32_ps(scaled),
                                                     _mm256_mul_ps(_mm256_mul_ps(dmin, dxv), minned)));
    } else {
      constexpr int kShift = P::kOffset == 32 ? 5 : 2;  // offset * (scales . sums) as a shift
      static_assert(P::kOffset == 1 << kShift);
      scaled = _mm256_sub_epi32(scaled, _mm256_slli_epi32(_mm256_madd_epi16(scales, sums), kShift));
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, dxv), _mm256_cvtepi32_ps(scaled), acc[j]);
    }
  }
}

// Q4_K, Q5_K (one scale and min per block, no offset), rows 8h..8h+7 of block b for tokens
// t..t+TB-1: fma(dw * dx, sum, -(mw * xs)) as qkernels_kquant_ref.cc.
template <typename P, int TB>
MIXQ_INLINE void ScaledBlock(const uint8_t* blk, const __m256i w[8], int h, __m256 d, __m256 dmin, const QuantizedActivations& xq,
                             int64_t t, int64_t b, __m256 acc[TB]) {
  __m256 dw, mw;
  Scales(blk, h, d, dmin, &dw, &mw);
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
    const float dx = xq.row_d(t + j)[b];
    const int8_t* x = xq.row_qs(t + j) + b * 32;
    __m256i dot = _mm256_setzero_si256();
    MIXQ_UNROLL for (int q = 0; q < 8; q += P::kGroupsPerSum)
      dot = _mm256_add_epi32(dot, _mm256_madd_epi16(PartialDot<P>(w, x, q), _mm256_set1_epi16(1)));
    const __m256 sum = _mm256_cvtepi32_ps(dot);
    const int32_t* s16 = xq.row_sum16(t + j) + 2 * b;
    const float xs = dx * static_cast<float>(s16[0] + s16[1]);
    acc[j] = _mm256_add_ps(acc[j], _mm256_fmsub_ps(_mm256_mul_ps(dw, _mm256_set1_ps(dx)), sum, _mm256_mul_ps(mw, _mm256_set1_ps(xs))));
  }
}

template <typename P, int TB>
inline void SuperTile(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t g, int64_t t, int valid) {
  const int64_t units = m.cols / 256;
  __m256 acc[2][TB];
  MIXQ_UNROLL for (int h = 0; h < 2; ++h)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[h][j] = _mm256_setzero_ps();
  LinePrefetcher pf(m.tile(g, 0));
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t* tile = m.tile(g, u);
    // Block jb of the super-block (activation block u * 8 + jb), rows 8h..8h+7.
    auto block = [&](int jb, int h) __attribute__((always_inline)) {
      const uint8_t* blk = tile + kHeader<P> + jb * kBlock<P>;
      const int64_t b = u * 8 + jb;
      const __m256 d = _mm256_loadu_ps(reinterpret_cast<const float*>(tile) + 8 * h);
      const __m256 dmin = P::kMins ? _mm256_loadu_ps(reinterpret_cast<const float*>(tile + 64) + 8 * h) : _mm256_setzero_ps();
      __m256i w[8];
      Codes<P>(blk + 32, h, w);
      if constexpr (P::kHalf) HalvesBlock<P, TB>(blk, w, h, d, dmin, xq, t, b, acc[h]);
      else ScaledBlock<P, TB>(blk, w, h, d, dmin, xq, t, b, acc[h]);
    };
    if constexpr (TB == 1) {  // decode: the AVX-512 kernels' rolled loop and line prefetcher
      _Pragma("GCC unroll 1") for (int jb = 0; jb < 8; ++jb) {
        pf.Upto(tile + kHeader<P> + (jb + 1) * kBlock<P>);
        block(jb, 0);
        block(jb, 1);
      }
    } else {
      for (int jb = 0; jb < 8; ++jb) {
        block(jb, 0);
        block(jb, 1);
      }
    }
  }
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) StoreRowGroup(acc[0][j], acc[1][j], y + (t + j) * m.rows + g * 16, valid);
}

template <typename P>
void Drive(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  // SuperTile strides blocks by the type's sizes and super-blocks by block_bytes: they must agree.
  MIXQ_CHECK(m.block_bytes == kHeader<P> + 8 * kBlock<P>);
  WalkPackedTiles<2>(xq.n, r0, r1, [&]<int T>(int64_t g, int64_t t, int valid) { SuperTile<P, T>(m, xq, y, g, t, valid); });
}

}  // namespace

bool PackedKQuantRowsAvx2(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  switch (m.type) {
    case DType::kQ4_K: Drive<Q4_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ5_K: Drive<Q5_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ6_K: Drive<Q6_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ3_K: Drive<Q3_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ2_K: Drive<Q2_KP>(m, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
