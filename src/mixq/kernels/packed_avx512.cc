// AVX-512 VNNI kernels on the packed layout (packed.h), Q4_0/Q8_0 and the K-quants. Per
// (group of 16 rows, block of 32 columns, token): 8 dpbusd, one per 4-element group, each multiplying the 16 rows' unsigned
// codes by the token's 4 activation codes broadcast to every lane, accumulated onto the block's
// offset bias (-offset * sum of the block's activation codes), so lane r ends as the exact
// integer dot of row r's block; then one convert and one FMA by the 16 scales times the token's
// activation scale.
#include <immintrin.h>

#include <array>
#include <cstring>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/kernels/decode_stream.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/tile_walk.h"
#include "mixq/quant/blocks.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")
// The code expansions return 8 vectors through an array: out of line, GCC passes it through
// memory (8 stores and 8 reloads per block; BM_GemvL2 t1: IQ4_NL 27 -> 49 GB/s, Q3_K 17 -> 29,
// Q5_K 24 -> 36, Q6_K 30 -> 47 once inline), so they are forced inline.
#define MIXQ_INLINE [[gnu::always_inline]] inline
#define MIXQ_LAMBDA_INLINE __attribute__((always_inline))

namespace mixq::kernels {
namespace {

// 4 nibble planes -> 8 code vectors: plane j's low nibbles are group j, high nibbles j + 4.
MIXQ_INLINE void Nibbles(const uint8_t* planes, __m512i w[8]) {
  const __m512i mask = _mm512_set1_epi8(0x0F);
  MIXQ_UNROLL for (int j = 0; j < 4; ++j) {
    const __m512i p = _mm512_loadu_si512(planes + 64 * j);
    w[j] = _mm512_and_si512(p, mask);
    w[j + 4] = _mm512_and_si512(_mm512_srli_epi16(p, 4), mask);
  }
}

// A bit plane (8 64-bit byte masks, packed.h): mask k sets bit kBit of group k's codes (a
// masked add: the bit is clear in the lower bits' codes).
template <int kBit>
MIXQ_INLINE void HighBits(const uint8_t* plane, __m512i w[8]) {
  const __m512i bit = _mm512_set1_epi8(static_cast<char>(1 << kBit));
  MIXQ_UNROLL for (int k = 0; k < 8; ++k) {
    uint64_t mask;
    std::memcpy(&mask, plane + 8 * k, 8);
    w[k] = _mm512_mask_add_epi8(w[k], mask, w[k], bit);
  }
}

// 32-element types: kMins (16 f16 mins after the scales), kHighBit (a bit plane after the
// nibbles), Codes (unsigned codes whose zero point the activation bias removes).
struct Q4_0P {
  static constexpr bool kSuper = false, kMins = false;
  static constexpr int kPlanes = 4, kHighBit = 0;
  MIXQ_INLINE static void Codes(const uint8_t* planes, __m512i w[8]) { Nibbles(planes, w); }
};
struct Q8_0P {
  static constexpr bool kSuper = false, kMins = false;
  static constexpr int kPlanes = 8, kHighBit = 0;
  MIXQ_INLINE static void Codes(const uint8_t* planes, __m512i w[8]) {
    MIXQ_UNROLL for (int j = 0; j < 8; ++j) w[j] = _mm512_loadu_si512(planes + 64 * j);
  }
};
struct Q4_1P : Q4_0P {
  static constexpr bool kMins = true;
};
struct Q5_0P : Q4_0P {
  static constexpr int kHighBit = 4;
};
struct Q5_1P : Q5_0P {
  static constexpr bool kMins = true;
};
struct IQ4_NLP : Q4_0P {  // nibbles index the codebook; codes are value + 128
  MIXQ_INLINE static void Codes(const uint8_t* planes, __m512i w[8]) {
    Nibbles(planes, w);
    static constexpr std::array<uint8_t, 16> kTable = [] {
      std::array<uint8_t, 16> t{};
      for (int i = 0; i < 16; ++i) t[i] = static_cast<uint8_t>(kIq4nlValues[i] + 128);
      return t;
    }();
    const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kTable.data())));
    MIXQ_UNROLL for (int j = 0; j < 8; ++j) w[j] = _mm512_shuffle_epi8(table, w[j]);
  }
};

inline __m512i Broadcast4(const int8_t* x) {
  int32_t v;
  std::memcpy(&v, x, 4);
  return _mm512_set1_epi32(v);
}

// Bytes of one (group, block) tile of a 32-element type (packed.h).
template <typename P>
constexpr size_t kTileBytes = (P::kMins ? 64 : 32) + 64 * (P::kPlanes + (P::kHighBit ? 1 : 0));

// Rows 16g.. (the first `valid` of them) for tokens t..t+TB-1.
template <typename P, int TB>
inline void Tile(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t g, int64_t t, int valid) {
  const int64_t blocks = m.cols / 32;
  const int8_t* xs[TB];
  const float* ds[TB];
  const int32_t* bias[TB];
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
    xs[j] = xq.row_qs(t + j);
    ds[j] = xq.row_d(t + j);
    bias[j] = xq.row_block_bias(t + j);
  }
  __m512 acc[TB];
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[j] = _mm512_setzero_ps();
  constexpr size_t kHeader = P::kMins ? 64 : 32, kBytes = kTileBytes<P>;
  const uint8_t* const first = m.tile(g, 0);
  // Block b of the group, whose tile is at first + b * kBytes.
  auto block = [&](int64_t b) MIXQ_LAMBDA_INLINE {
    const uint8_t* tile = first + b * kBytes;
    const __m512 sw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile)));
    // The specification's mw is -min (value = d * q + min).
    const __m512 mw = P::kMins ? _mm512_sub_ps(_mm512_setzero_ps(), _mm512_cvtph_ps(_mm256_loadu_si256(
                                                                          reinterpret_cast<const __m256i*>(tile + 32))))
                               : _mm512_setzero_ps();
    __m512i w[8];
    P::Codes(tile + kHeader, w);
    if constexpr (P::kHighBit) HighBits<P::kHighBit>(tile + kHeader + 64 * P::kPlanes, w);
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const int8_t* x = xs[j] + b * 32;
      // Two independent chains of four dpbusd each (latency), joined before the convert.
      __m512i s0 = _mm512_set1_epi32(bias[j][b]), s1 = _mm512_setzero_si512();
      MIXQ_UNROLL for (int q = 0; q < 8; q += 2) {
        s0 = _mm512_dpbusd_epi32(s0, w[q], Broadcast4(x + 4 * q));
        s1 = _mm512_dpbusd_epi32(s1, w[q + 1], Broadcast4(x + 4 * q + 4));
      }
      const __m512 scale = _mm512_mul_ps(sw, _mm512_set1_ps(ds[j][b]));
      const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1));
      if constexpr (P::kMins) {  // fma(dw * dx, sum, -(mw * xs)) as qkernels_kquant_ref.cc
        const int32_t* s16 = xq.row_sum16(t + j) + 2 * b;
        const __m512 xsum = _mm512_set1_ps(ds[j][b] * static_cast<float>(s16[0] + s16[1]));
        acc[j] = _mm512_add_ps(acc[j], _mm512_fmsub_ps(scale, sum, _mm512_mul_ps(mw, xsum)));
      } else {
        acc[j] = _mm512_fmadd_ps(sum, scale, acc[j]);
      }
    }
  };
  if constexpr (TB == 1) {  // decode: one prefetched stream (decode_stream.h)
    WalkDecodeRuns<kBytes>(first, blocks, block);
  } else {
    for (int64_t b = 0; b < blocks; ++b) block(b);
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1);
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) _mm512_mask_storeu_ps(y + (t + j) * m.rows + g * 16, mask, acc[j]);
}

// K-quants: 256-column super-blocks (packed.h), the terms of qkernels_kquant_ref.cc.
inline __m512 U8Lanes(const uint8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))); }

// Per type: kMins, kHalf (a scale per 16 elements), kOffset (zero point of the codes), the
// plane counts, Codes (8 vectors, lane r = row r's 4 codes of group q) and Scales (the
// effective per-row scales of the block's two halves; mins likewise).
// kUnrollDecode: decode runs the super-block's 8 blocks unrolled with straight-line prefetches
// (kRun) rather than a loop with LinePrefetcher. Same A/B harness as kRun, 25 shuffled rounds,
// share of the read probe, one thread: Q2_K 0.66-0.69 -> 0.73-0.76; Q4_K 1.06 -> 0.90-0.95 and
// Q6_K 0.94-1.17 -> 0.82-1.00, so only Q2_K unrolls.
struct Q4_KP {
  static constexpr bool kSuper = true, kMins = true, kHalf = false, kUnrollDecode = false;
  static constexpr int kOffset = 0, kNibblePlanes = 4, kCrumbPlanes = 0, kHighBit = 0;
  static void Scales(const uint8_t* blk, __m512 d, __m512 dmin, __m512 dw[2], __m512 mw[2]) {
    dw[0] = dw[1] = _mm512_mul_ps(d, U8Lanes(blk));
    mw[0] = mw[1] = _mm512_mul_ps(dmin, U8Lanes(blk + 16));
  }
};
struct Q5_KP : Q4_KP {
  static constexpr int kHighBit = 4;
};
struct Q6_KP {
  static constexpr bool kSuper = true, kMins = false, kHalf = true, kUnrollDecode = false;
  static constexpr int kOffset = 32, kNibblePlanes = 4, kCrumbPlanes = 2, kHighBit = 0;
  static void Scales(const uint8_t* blk, __m512 d, __m512, __m512 dw[2], __m512 mw[2]) {
    MIXQ_UNROLL for (int h = 0; h < 2; ++h) {
      const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * h));
      dw[h] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(s)));  // signed scales
      mw[h] = _mm512_setzero_ps();
    }
  }
};
struct Q3_KP : Q6_KP {
  static constexpr int kOffset = 4, kNibblePlanes = 0, kCrumbPlanes = 2, kHighBit = 2;
};
struct Q2_KP {
  static constexpr bool kSuper = true, kMins = true, kHalf = true, kUnrollDecode = true;
  static constexpr int kOffset = 0, kNibblePlanes = 0, kCrumbPlanes = 2, kHighBit = 0;
  static void Scales(const uint8_t* blk, __m512 d, __m512 dmin, __m512 dw[2], __m512 mw[2]) {
    MIXQ_UNROLL for (int h = 0; h < 2; ++h) {
      const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 16 * h)));
      dw[h] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_and_si512(b, _mm512_set1_epi32(15))));
      mw[h] = _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(_mm512_srli_epi32(b, 4)));
    }
  }
};

template <typename P>
MIXQ_INLINE void Codes(const uint8_t* planes, __m512i w[8]) {
  if constexpr (P::kNibblePlanes) Nibbles(planes, w);
  if constexpr (P::kCrumbPlanes) {
    const __m512i mask = _mm512_set1_epi8(0x03);
    MIXQ_UNROLL for (int p = 0; p < 2; ++p) {
      const __m512i v = _mm512_loadu_si512(planes + 64 * (P::kNibblePlanes + p));
      MIXQ_UNROLL for (int k = 0; k < 4; ++k) {
        const __m512i c = _mm512_and_si512(_mm512_srli_epi16(v, 2 * k), mask);
        // Bits 4..5 over the nibble (Q6_K), or the whole 2-bit code (Q2_K, Q3_K).
        w[p + 2 * k] = P::kNibblePlanes ? _mm512_or_si512(w[p + 2 * k], _mm512_slli_epi16(c, 4)) : c;
      }
    }
  }
  if constexpr (P::kHighBit) HighBits<P::kHighBit>(planes + 64 * (P::kNibblePlanes + P::kCrumbPlanes), w);
}

template <typename P, int TB>
inline void SuperTile(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t g, int64_t t, int valid) {
  constexpr size_t kHeader = P::kMins ? 128 : 64;
  constexpr size_t kBlock = 32 + 64 * (P::kNibblePlanes + P::kCrumbPlanes + (P::kHighBit ? 1 : 0));
  const int64_t units = m.cols / 256;
  __m512 acc[TB];
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[j] = _mm512_setzero_ps();
  // The super-block is a whole number of lines (packed.h): 38 (Q4_K), 46 (Q5_K), 53 (Q6_K),
  // 29 (Q3_K), 22 (Q2_K).
  constexpr size_t kUnitBytes = kHeader + 8 * kBlock;
  static_assert(kUnitBytes % 64 == 0);
  LinePrefetcher pf(m.tile(g, 0));
  for (int64_t u = 0; u < units; ++u) {
    const uint8_t* tile = m.tile(g, u);
    const __m512 d = _mm512_loadu_ps(reinterpret_cast<const float*>(tile));
    const __m512 dmin = P::kMins ? _mm512_loadu_ps(reinterpret_cast<const float*>(tile + 64)) : _mm512_setzero_ps();
    // Block jb of the super-block (activation block u * 8 + jb).
    auto block = [&](int jb) MIXQ_LAMBDA_INLINE {
      const uint8_t* blk = tile + kHeader + jb * kBlock;
      const int64_t b = u * 8 + jb;
      __m512 dw[2], mw[2];
      P::Scales(blk, d, dmin, dw, mw);
      __m512i w[8];
      Codes<P>(blk + 32, w);
      MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
        const int8_t* x = xq.row_qs(t + j) + b * 32;
        const float dx = xq.row_d(t + j)[b];
        const int32_t* bias16 = xq.row_bias16(t + j) + 2 * b;  // -offset * sum16 of each half
        const float* xsum16 = xq.row_xsum16(t + j) + 2 * b;    // dx * sum16 of each half
        const __m512 dxv = _mm512_set1_ps(dx);
        __m512i s[2] = {_mm512_set1_epi32(P::kOffset ? bias16[0] : 0), _mm512_set1_epi32(P::kOffset ? bias16[1] : 0)};
        if constexpr (P::kHalf) {  // groups 0..3 are elements 0..15, groups 4..7 elements 16..31
          MIXQ_UNROLL for (int q = 0; q < 4; ++q) {
            s[0] = _mm512_dpbusd_epi32(s[0], w[q], Broadcast4(x + 4 * q));
            s[1] = _mm512_dpbusd_epi32(s[1], w[q + 4], Broadcast4(x + 16 + 4 * q));
          }
          MIXQ_UNROLL for (int h = 0; h < 2; ++h) {
            const __m512 sum = _mm512_cvtepi32_ps(s[h]);
            if constexpr (P::kMins)
              acc[j] = _mm512_add_ps(acc[j], _mm512_fmsub_ps(_mm512_mul_ps(dw[h], dxv), sum,
                                                             _mm512_mul_ps(mw[h], _mm512_set1_ps(xsum16[h]))));
            else
              acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(dw[h], dxv), sum, acc[j]);
          }
        } else {  // Q4_K, Q5_K: one scale and min per block, no offset
          MIXQ_UNROLL for (int q = 0; q < 8; q += 2) {
            s[0] = _mm512_dpbusd_epi32(s[0], w[q], Broadcast4(x + 4 * q));
            s[1] = _mm512_dpbusd_epi32(s[1], w[q + 1], Broadcast4(x + 4 * q + 4));
          }
          const __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(s[0], s[1]));
          const float xs = dx * static_cast<float>(xq.row_sum16(t + j)[2 * b] + xq.row_sum16(t + j)[2 * b + 1]);
          acc[j] = _mm512_add_ps(acc[j], _mm512_fmsub_ps(_mm512_mul_ps(dw[0], dxv), sum, _mm512_mul_ps(mw[0], _mm512_set1_ps(xs))));
        }
      }
    };
    if constexpr (TB == 1 && P::kUnrollDecode) {  // decode: unrolled, straight-line prefetches (see kRun)
      MIXQ_UNROLL for (int jb = 0; jb < 8; ++jb) {
        PrefetchShare<static_cast<int>(kUnitBytes / 64), 8, false>(tile, jb);
        block(jb);
      }
    } else if constexpr (TB == 1) {
      // Rolled on purpose: GCC otherwise unrolls this loop, which lowered the share of Q6_K
      // (1.06 -> 0.82) and Q3_K (0.98 -> 0.68) at 2 threads (scripts/ab-packed-decode.sh).
      _Pragma("GCC unroll 1") for (int jb = 0; jb < 8; ++jb) {
        pf.Upto(tile + kHeader + (jb + 1) * kBlock);
        block(jb);
      }
    } else {
      for (int jb = 0; jb < 8; ++jb) block(jb);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1);
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) _mm512_mask_storeu_ps(y + (t + j) * m.rows + g * 16, mask, acc[j]);
}

template <typename P>
void Drive(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if constexpr (!P::kSuper) MIXQ_CHECK(m.block_bytes == kTileBytes<P>);  // Tile strides by the type's size
  WalkPackedTiles<4>(xq.n, r0, r1, [&]<int T>(int64_t g, int64_t t, int valid) {
    if constexpr (P::kSuper) SuperTile<P, T>(m, xq, y, g, t, valid);
    else Tile<P, T>(m, xq, y, g, t, valid);
  });
}

}  // namespace

bool PackedRowsAvx512(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (!GetCpuFeatures().avx512_vnni || r0 % 16 != 0) return false;
  switch (m.type) {
    case DType::kQ4_0: Drive<Q4_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ8_0: Drive<Q8_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ4_1: Drive<Q4_1P>(m, xq, y, r0, r1); return true;
    case DType::kQ5_0: Drive<Q5_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ5_1: Drive<Q5_1P>(m, xq, y, r0, r1); return true;
    case DType::kIQ4_NL: Drive<IQ4_NLP>(m, xq, y, r0, r1); return true;
    case DType::kQ4_K: Drive<Q4_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ5_K: Drive<Q5_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ6_K: Drive<Q6_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ3_K: Drive<Q3_KP>(m, xq, y, r0, r1); return true;
    case DType::kQ2_K: Drive<Q2_KP>(m, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
