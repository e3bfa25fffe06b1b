// SIMD integer-dot kernels of the K-quants and IQ4_NL / Q4_1 / Q5_0 / Q5_1, shared by
// qkernels_kquant_avx2.cc and qkernels_kquant_avx512.cc. Include it ONLY from an ISA file: it
// opens an anonymous namespace so that each ISA file gets its own copy compiled with its own
// flags (design.md, "Kernels and determinism"). The ISA file supplies the dot-product policy:
//   struct Dot { template <typename W> static __m256i Run(__m256i codes, __m256i x, const int32_t* bias); };
// returning int32 lane i = exact sum over elements 4i..4i+3 of (signed code) * x, where
// `codes` are W's 32 codes in element order (unsigned u = q + offset, or for kSigned types the
// signed value itself) and `bias` the activation's -offset * lane sums (quant_act.h).
//
// K-quants (256-element super-blocks, 8 activation blocks j): per row, Prepare() decodes the
// scales once into f32 vectors and Codes<j>() builds the 32 codes of block j from the packed
// bits (AVX2 byte ops); per token, the policy's dot gives 8 exact int32 lanes per block (lane
// i = elements 4i..4i+3), and a horizontal-add tree turns the 8 blocks' lanes into exact
// integer half-block sums, in the lane order of Lanes16 below:
//   H_a = [b0 lo, b1 lo, b2 lo, b3 lo, b0 hi, b1 hi, b2 hi, b3 hi], H_b the same for b4..b7
// (lo = elements 0..15, hi = 16..31 of the block). 16-element sub-block types (Q6_K, Q3_K,
// Q2_K) scale H_a / H_b by their scales, prepared in that order; 32-element ones (Q4_K, Q5_K)
// add the halves into [b0 .. b7] and scale by their 8 sub-block scales. So every scale term
// is the one of the specification (qkernels_kquant_ref.cc) and only the f32 sum is reordered;
// the mins use the same fma as the specification, with the activations' group sums converted
// once per call (MinSums). 32-element types (IQ4_NL, Q5_0): per block, the 8 lanes converted
// and accumulated by one FMA with d * dx; Q4_1 / Q5_1 sum the lanes as integers and follow the
// specification's scalar order exactly.
#pragma once

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "mixq/kernels/quant_kernels.h"
#include "mixq/kernels/tile_walk.h"
#include "mixq/quant/blocks.h"

#define MIXQ_KQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

template <int N, typename F>
inline void Unroll(F&& f) {
  [&]<int... J>(std::integer_sequence<int, J...>) { (f(std::integral_constant<int, J>{}), ...); }(std::make_integer_sequence<int, N>{});
}

inline float KHsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float F16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}
inline uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline __m256i Load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m256i Mask8(int m) { return _mm256_set1_epi8(static_cast<char>(m)); }

// v shifted left by S bits (right by -S) in 16-bit lanes; callers mask per byte, keeping only
// bits that stayed inside their byte.
template <int S>
inline __m256i Shift(__m256i v) {
  if constexpr (S > 0) return _mm256_slli_epi16(v, S);
  else if constexpr (S < 0) return _mm256_srli_epi16(v, -S);
  else return v;
}

// 8 unsigned bytes (little-endian in v) -> 8 f32 lanes times s.
inline __m256 BytesToFloat(uint64_t v, float s) {
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(v)))), _mm256_set1_ps(s));
}

// ------------------------------------------------------------------ the types
// kOffset: the code offset (QuantKernelOffset), kSigned: codes are signed values (no offset
// in the codes themselves), kHalf: Pre::sc is two vectors of 8 sub-block scales (16-element
// sub-blocks 0..7 and 8..15) instead of one of 8 (32-element sub-blocks), kMinGroup: 0, or
// the elements per min (16: Pre::mn is 2 x 8 vectors; 32 with kBlocks 8: one vector; with
// kBlocks 1: the scalar Pre::m).

// The 6-bit scales and mins of Q4_K / Q5_K (blocks.h, UnpackScaleMinK4), 8 bytes each.
inline void UnpackK4(const uint8_t* scales, uint64_t* sc, uint64_t* m) {
  const uint32_t a = U32(scales), b = U32(scales + 4), c = U32(scales + 8);
  const uint32_t sc_lo = a & 0x3F3F3F3F, m_lo = b & 0x3F3F3F3F;
  const uint32_t sc_hi = (c & 0x0F0F0F0F) | ((a >> 6) & 0x03030303) << 4;
  const uint32_t m_hi = ((c >> 4) & 0x0F0F0F0F) | ((b >> 6) & 0x03030303) << 4;
  *sc = sc_lo | static_cast<uint64_t>(sc_hi) << 32;
  *m = m_lo | static_cast<uint64_t>(m_hi) << 32;
}

struct PreK32 {  // one scale and min per 32-element sub-block: lane s = sub-block s
  __m256 sc, mn;
};

// Q4_K: block j = nibble (j % 2) of qs[32 (j / 2) + l].
struct Q4_KS {
  static constexpr size_t kBytes = sizeof(BlockQ4_K);
  static constexpr int kBlocks = 8, kOffset = 0, kMinGroup = 32;
  static constexpr bool kSigned = false, kHalf = false;
  using Pre = PreK32;
  static void Prepare(const uint8_t* p, Pre* o) {
    uint64_t sc, m;
    UnpackK4(p + 4, &sc, &m);
    o->sc = BytesToFloat(sc, F16(p));
    o->mn = BytesToFloat(m, F16(p + 2));
  }
  template <int J>
  static __m256i Codes(const uint8_t* p) {
    return _mm256_and_si256(Shift<-4 * (J % 2)>(Load32(p + 16 + 32 * (J / 2))), Mask8(0x0F));
  }
};
// Q5_K: Q4_K's nibbles (qs at 48) plus bit j of qh[l] as bit 4.
struct Q5_KS {
  static constexpr size_t kBytes = sizeof(BlockQ5_K);
  static constexpr int kBlocks = 8, kOffset = 0, kMinGroup = 32;
  static constexpr bool kSigned = false, kHalf = false;
  using Pre = PreK32;
  static void Prepare(const uint8_t* p, Pre* o) { Q4_KS::Prepare(p, o); }
  template <int J>
  static __m256i Codes(const uint8_t* p) {
    const __m256i lo = _mm256_and_si256(Shift<-4 * (J % 2)>(Load32(p + 48 + 32 * (J / 2))), Mask8(0x0F));
    return _mm256_or_si256(lo, _mm256_and_si256(Shift<4 - J>(Load32(p + 16)), Mask8(0x10)));
  }
};

struct PreK16 {  // 16 sub-blocks of 16, in Lanes16 order: sc[0] sub-blocks 0..7, sc[1] 8..15
  __m256 sc[2], mn[2];
};
// Lane L of a vector of 8 consecutive 16-element groups holds group Lanes16[L] (group 2b + h =
// half h of block b in lane b + 4h), the order of the horizontal-add tree's results.
inline __m256i Lanes16() { return _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7); }
inline __m256 InLanes16(__m256 v) { return _mm256_permutevar8x32_ps(v, Lanes16()); }

// Q6_K: block j, h = j / 4, k = j % 4: nibble (k / 2) of ql[64 h + 32 (k % 2) + l] | bits
// 2k..2k+1 of qh[32 h + l] as bits 4..5; u = q in 0..63, offset 32.
struct Q6_KS {
  static constexpr size_t kBytes = sizeof(BlockQ6_K);
  static constexpr int kBlocks = 8, kOffset = 32, kMinGroup = 0;
  static constexpr bool kSigned = false, kHalf = true;
  using Pre = PreK16;
  static void Prepare(const uint8_t* p, Pre* o) {
    const float d = F16(p + 208);
    MIXQ_KQ_UNROLL for (int i = 0; i < 2; ++i) {
      const __m128i s = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 192 + 8 * i));
      o->sc[i] = InLanes16(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s)), _mm256_set1_ps(d)));
    }
  }
  template <int J>
  static __m256i Codes(const uint8_t* p) {
    constexpr int h = J / 4, k = J % 4;
    const __m256i lo = _mm256_and_si256(Shift<-4 * (k / 2)>(Load32(p + 64 * h + 32 * (k % 2))), Mask8(0x0F));
    return _mm256_or_si256(lo, _mm256_and_si256(Shift<4 - 2 * k>(Load32(p + 128 + 32 * h)), Mask8(0x30)));
  }
};
// Q3_K: bits 2k..2k+1 of qs[32 h + l] | bit j of hmask[l] as bit 2 (set: no -4); u = q2 + 4
// hbit in 0..7, offset 4. Scales: 6 bits - 32 (blocks.h, UnpackScaleQ3_K).
struct Q3_KS {
  static constexpr size_t kBytes = sizeof(BlockQ3_K);
  static constexpr int kBlocks = 8, kOffset = 4, kMinGroup = 0;
  static constexpr bool kSigned = false, kHalf = true;
  using Pre = PreK16;
  static void Prepare(const uint8_t* p, Pre* o) {
    uint64_t a;
    std::memcpy(&a, p + 96, 8);
    const uint32_t c = U32(p + 104);
    // Sub-blocks 0..7: low nibbles of bytes 0..7, high bits from bits 0-1 (s < 4) / 2-3 of c;
    // sub-blocks 8..15: high nibbles, high bits from bits 4-5 / 6-7 of c.
    const auto high = [c](int shift_lo, int shift_hi) {
      return (static_cast<uint64_t>((c >> shift_lo) & 0x03030303) | static_cast<uint64_t>((c >> shift_hi) & 0x03030303) << 32) << 4;
    };
    const uint64_t s0 = (a & 0x0F0F0F0F0F0F0F0FULL) | high(0, 2);
    const uint64_t s1 = ((a >> 4) & 0x0F0F0F0F0F0F0F0FULL) | high(4, 6);
    const __m256 d = _mm256_set1_ps(F16(p + 108));
    const __m256i bias = _mm256_set1_epi32(32);
    const uint64_t s[2] = {s0, s1};
    MIXQ_KQ_UNROLL for (int i = 0; i < 2; ++i) {
      const __m256i v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(s[i])));
      o->sc[i] = InLanes16(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, bias)), d));
    }
  }
  template <int J>
  static __m256i Codes(const uint8_t* p) {
    constexpr int h = J / 4, k = J % 4;
    const __m256i q2 = _mm256_and_si256(Shift<-2 * k>(Load32(p + 32 + 32 * h)), Mask8(0x03));
    return _mm256_or_si256(q2, _mm256_and_si256(Shift<2 - J>(Load32(p)), Mask8(0x04)));
  }
};
// Q2_K: bits 2k..2k+1 of qs[32 h + l], u = q in 0..3; scales[s]: low nibble scale, high min.
struct Q2_KS {
  static constexpr size_t kBytes = sizeof(BlockQ2_K);
  static constexpr int kBlocks = 8, kOffset = 0, kMinGroup = 16;
  static constexpr bool kSigned = false, kHalf = true;
  using Pre = PreK16;
  static void Prepare(const uint8_t* p, Pre* o) {
    const float d = F16(p + 80), dmin = F16(p + 82);
    MIXQ_KQ_UNROLL for (int i = 0; i < 2; ++i) {
      uint64_t s;
      std::memcpy(&s, p + 8 * i, 8);
      o->sc[i] = InLanes16(BytesToFloat(s & 0x0F0F0F0F0F0F0F0FULL, d));
      o->mn[i] = InLanes16(BytesToFloat((s >> 4) & 0x0F0F0F0F0F0F0F0FULL, dmin));
    }
  }
  template <int J>
  static __m256i Codes(const uint8_t* p) {
    return _mm256_and_si256(Shift<-2 * (J % 4)>(Load32(p + 16 + 32 * (J / 4))), Mask8(0x03));
  }
};

// 32-element types. Nibbles as Q4_0: qs[l] low = element l, high = element l + 16.
inline __m256i Nibbles32(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), _mm_and_si128(packed, mask));
}
// Bit e of the little-endian uint32 at qh as 0x10 in byte e.
inline __m256i HighBits32(const uint8_t* qh) {
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(U32(qh))),
                                             _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
                                                               0x0101010101010101LL, 0));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), Mask8(0x10));
}
struct Pre32 {
  float d, m;
};
struct IQ4_NLS {
  static constexpr size_t kBytes = sizeof(BlockIQ4_NL);
  static constexpr int kBlocks = 1, kOffset = 128, kMinGroup = 0;
  static constexpr bool kSigned = true, kHalf = false;
  using Pre = Pre32;
  static void Prepare(const uint8_t* p, Pre* o) { o->d = F16(p); }
  template <int J>
  static __m256i Codes(const uint8_t* p) {  // codebook lookup: signed values -127..113
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues)));
    return _mm256_shuffle_epi8(table, Nibbles32(p + 2));
  }
};
struct Q4_1S {
  static constexpr size_t kBytes = sizeof(BlockQ4_1);
  static constexpr int kBlocks = 1, kOffset = 0, kMinGroup = 32;
  static constexpr bool kSigned = false, kHalf = false;
  using Pre = Pre32;
  static void Prepare(const uint8_t* p, Pre* o) { *o = {F16(p), -F16(p + 2)}; }
  template <int J>
  static __m256i Codes(const uint8_t* p) { return Nibbles32(p + 4); }
};
struct Q5_0S {
  static constexpr size_t kBytes = sizeof(BlockQ5_0);
  static constexpr int kBlocks = 1, kOffset = 16, kMinGroup = 0;
  static constexpr bool kSigned = false, kHalf = false;
  using Pre = Pre32;
  static void Prepare(const uint8_t* p, Pre* o) { o->d = F16(p); }
  template <int J>
  static __m256i Codes(const uint8_t* p) { return _mm256_or_si256(Nibbles32(p + 6), HighBits32(p + 2)); }
};
struct Q5_1S {
  static constexpr size_t kBytes = sizeof(BlockQ5_1);
  static constexpr int kBlocks = 1, kOffset = 0, kMinGroup = 32;
  static constexpr bool kSigned = false, kHalf = false;
  using Pre = Pre32;
  static void Prepare(const uint8_t* p, Pre* o) { *o = {F16(p), -F16(p + 2)}; }
  template <int J>
  static __m256i Codes(const uint8_t* p) { return _mm256_or_si256(Nibbles32(p + 8), HighBits32(p + 4)); }
};

// Per token, dx * (sum of codes) per min group (16 or 32 elements) as f32: {n, k / group};
// 16-element groups in Lanes16 order within each 8.
template <typename W>
std::vector<float> MinSums(const QuantizedActivations& xq) {
  std::vector<float> out;
  if constexpr (W::kMinGroup != 0) {
    const int64_t groups = xq.k / W::kMinGroup;
    out.resize(static_cast<size_t>(xq.n * groups));
    for (int64_t t = 0; t < xq.n; ++t) {
      const float* dx = xq.row_d(t);
      const int32_t* s16 = xq.row_sum16(t);
      for (int64_t g = 0; g < groups; ++g) {
        if constexpr (W::kMinGroup == 16) {
          const int64_t lane = g % 8 / 2 + 4 * (g % 2);
          out[t * groups + g / 8 * 8 + lane] = dx[g / 2] * static_cast<float>(s16[g]);
        } else {
          out[t * groups + g] = dx[g] * static_cast<float>(s16[2 * g] + s16[2 * g + 1]);
        }
      }
    }
  }
  return out;
}

struct TileArgs {
  const WeightMatrix& w;
  const QuantizedActivations& xq;
  const float* minsums;
  float* y;
};

// Outputs r..r+RB-1 x tokens t..t+TB-1 of a K-quant. Every output gets the same operation
// sequence whatever RB and TB (results do not depend on the tiling).
template <typename D, typename W, int RB, int TB>
inline void TileSuper(const TileArgs& a, int64_t r, int64_t t) {
  const WeightMatrix& w = a.w;
  const int64_t wblocks = w.cols / kQK_K;
  constexpr int kGroups = W::kMinGroup ? kQK_K / W::kMinGroup : 0;  // min groups per super-block
  const uint8_t* rows[RB];
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  __m256 acc[RB][TB];
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t wb = 0; wb < wblocks; ++wb) {
    typename W::Pre pre[RB];
    __m256i codes[RB][8];
    MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) {
      const uint8_t* blk = rows[i] + wb * W::kBytes;
      W::Prepare(blk, &pre[i]);
      Unroll<8>([&](auto jc) { codes[i][decltype(jc)::value] = W::template Codes<decltype(jc)::value>(blk); });
    }
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j) {
      const int8_t* x = a.xq.row_qs(t + j) + wb * kQK_K;
      const int32_t* bias = a.xq.row_bias(t + j) + wb * 64;
      const __m256 dx = _mm256_loadu_ps(a.xq.row_d(t + j) + wb * 8);  // lane b: block b's scale
      const float* ms = a.minsums + (t + j) * (w.cols / (W::kMinGroup ? W::kMinGroup : 1)) + wb * kGroups;
      MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) {
        __m256i dp[8];
        Unroll<8>([&](auto jc) {
          constexpr int J = decltype(jc)::value;
          dp[J] = D::template Run<W>(codes[i][J], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * J)), bias + 8 * J);
        });
        const __m256i ha = _mm256_hadd_epi32(_mm256_hadd_epi32(dp[0], dp[1]), _mm256_hadd_epi32(dp[2], dp[3]));
        const __m256i hb = _mm256_hadd_epi32(_mm256_hadd_epi32(dp[4], dp[5]), _mm256_hadd_epi32(dp[6], dp[7]));
        if constexpr (W::kHalf) {
          const __m256 dxa = _mm256_permutevar8x32_ps(dx, _mm256_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3));
          const __m256 dxb = _mm256_permutevar8x32_ps(dx, _mm256_setr_epi32(4, 5, 6, 7, 4, 5, 6, 7));
          const __m256 sa = _mm256_mul_ps(pre[i].sc[0], dxa), sb = _mm256_mul_ps(pre[i].sc[1], dxb);
          if constexpr (W::kMinGroup != 0) {
            const __m256 ta = _mm256_fmsub_ps(sa, _mm256_cvtepi32_ps(ha), _mm256_mul_ps(pre[i].mn[0], _mm256_loadu_ps(ms)));
            const __m256 tb = _mm256_fmsub_ps(sb, _mm256_cvtepi32_ps(hb), _mm256_mul_ps(pre[i].mn[1], _mm256_loadu_ps(ms + 8)));
            acc[i][j] = _mm256_add_ps(_mm256_add_ps(acc[i][j], ta), tb);
          } else {
            acc[i][j] = _mm256_fmadd_ps(sa, _mm256_cvtepi32_ps(ha), acc[i][j]);
            acc[i][j] = _mm256_fmadd_ps(sb, _mm256_cvtepi32_ps(hb), acc[i][j]);
          }
        } else {
          // [b0 lo..b3 lo | b4 lo..b7 lo] + [b0 hi..b3 hi | b4 hi..b7 hi] = [b0 .. b7]
          const __m256i sum = _mm256_add_epi32(_mm256_permute2x128_si256(ha, hb, 0x20), _mm256_permute2x128_si256(ha, hb, 0x31));
          const __m256 s = _mm256_mul_ps(pre[i].sc, dx);
          if constexpr (W::kMinGroup != 0) {
            const __m256 tm = _mm256_fmsub_ps(s, _mm256_cvtepi32_ps(sum), _mm256_mul_ps(pre[i].mn, _mm256_loadu_ps(ms)));
            acc[i][j] = _mm256_add_ps(acc[i][j], tm);
          } else {
            acc[i][j] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(sum), acc[i][j]);
          }
        }
      }
    }
  }
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j) a.y[(t + j) * w.rows + r + i] = KHsum(acc[i][j]);
}

inline int32_t HsumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
  return _mm_cvtsi128_si32(s);
}

// The same for the 32-element types.
template <typename D, typename W, int RB, int TB>
inline void Tile32(const TileArgs& a, int64_t r, int64_t t) {
  const WeightMatrix& w = a.w;
  const int64_t blocks = w.cols / 32;
  const uint8_t* rows[RB];
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  __m256 acc[RB][TB];
  float macc[RB][TB];
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j) {
      acc[i][j] = _mm256_setzero_ps();
      macc[i][j] = 0.0f;
    }
  for (int64_t b = 0; b < blocks; ++b) {
    typename W::Pre pre[RB];
    __m256i wv[RB];
    MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) {
      const uint8_t* blk = rows[i] + b * W::kBytes;
      W::Prepare(blk, &pre[i]);
      wv[i] = W::template Codes<0>(blk);
    }
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.xq.row_qs(t + j) + b * 32));
      const int32_t* bias = a.xq.row_bias(t + j) + b * 8;
      const float dx = a.xq.row_d(t + j)[b];
      MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i) {
        const __m256i dp = D::template Run<W>(wv[i], xv, bias);
        if constexpr (W::kMinGroup != 0) {  // the specification's scalar fma, in its order
          const float xs = a.minsums[(t + j) * blocks + b];
          macc[i][j] += std::fma(pre[i].d * dx, static_cast<float>(HsumI32(dp)), -(pre[i].m * xs));
        } else {
          acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dp), _mm256_set1_ps(pre[i].d * dx), acc[i][j]);
        }
      }
    }
  }
  MIXQ_KQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_KQ_UNROLL for (int j = 0; j < TB; ++j)
      a.y[(t + j) * w.rows + r + i] = W::kMinGroup != 0 ? macc[i][j] : KHsum(acc[i][j]);
}

template <typename D, typename W, int RB, int TB>
inline void Tile(const TileArgs& a, int64_t r, int64_t t) {
  if constexpr (W::kBlocks == 8) TileSuper<D, W, RB, TB>(a, r, t);
  else Tile32<D, W, RB, TB>(a, r, t);
}

template <typename D, typename W, int RB, int TB>
void KDrive(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  const std::vector<float> minsums = MinSums<W>(xq);
  const TileArgs a{w, xq, minsums.data(), y};
  WalkTiles<RB, TB>(xq.n, r0, r1, [&]<int R, int T>(int64_t r, int64_t t) { Tile<D, W, R, T>(a, r, t); });
}

// Decode (n == 1): RB rows at a time; prefill: RB x TB register tiles.
template <typename D, int RB1, int RB, int TB>
bool KQuantRows(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  auto run = [&]<typename W>(W*) {
    if (xq.n == 1) KDrive<D, W, RB1, 1>(w, xq, y, r0, r1);
    else KDrive<D, W, RB, TB>(w, xq, y, r0, r1);
    return true;
  };
  switch (w.type) {
    case DType::kQ4_K: return run(static_cast<Q4_KS*>(nullptr));
    case DType::kQ5_K: return run(static_cast<Q5_KS*>(nullptr));
    case DType::kQ6_K: return run(static_cast<Q6_KS*>(nullptr));
    case DType::kQ3_K: return run(static_cast<Q3_KS*>(nullptr));
    case DType::kQ2_K: return run(static_cast<Q2_KS*>(nullptr));
    case DType::kIQ4_NL: return run(static_cast<IQ4_NLS*>(nullptr));
    case DType::kQ4_1: return run(static_cast<Q4_1S*>(nullptr));
    case DType::kQ5_0: return run(static_cast<Q5_0S*>(nullptr));
    case DType::kQ5_1: return run(static_cast<Q5_1S*>(nullptr));
    default: return false;
  }
}

}  // namespace
}  // namespace mixq::kernels
