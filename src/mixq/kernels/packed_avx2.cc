// AVX2 kernels on the packed layout (packed.h): each 64-byte plane is two 256-bit halves, rows
// 0..7 and rows 8..15. maddubs multiplies unsigned by signed bytes into int16 pairs, madd sums
// pairs into int32 lanes, one per row. Q4_0, Q4_1: the 8 groups' int16 pair sums add up to at
// most 8 * 2 * 15 * 127 = 30480, so they are summed in int16 before one madd; Q4_0's block
// offset bias removes the +8 of its codes, Q4_1 adds its min term per block. Q8_0, IQ4_NL
// (codebook values): signed codes, |w| times x with w's sign (no saturation), no bias. Q5_0,
// Q5_1: see Q5_0P. The K-quants are in packed_kquant_avx2.cc.
#include <immintrin.h>

#include <cstring>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/kernels/avx2_util.h"
#include "mixq/kernels/decode_stream.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/tile_walk.h"
#include "mixq/quant/blocks.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

// kHeader: bytes before the planes (f16 scales, then f16 mins when kMins); kBytes: one tile
// (packed.h).
struct Q4_0P {
  static constexpr bool kUsesBias = true, kMins = false, kHighBit = false;
  static constexpr size_t kHeader = 32, kBytes = 288;
  static void Codes(const uint8_t* planes, __m256i w[8]) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    MIXQ_UNROLL for (int j = 0; j < 4; ++j) {
      const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(planes + 64 * j));
      w[j] = _mm256_and_si256(p, mask);
      w[j + 4] = _mm256_and_si256(_mm256_srli_epi16(p, 4), mask);
    }
  }
  static __m256i Dot(const __m256i w[8], const int8_t* x) {
    __m256i s = _mm256_maddubs_epi16(w[0], Broadcast4(x));
    MIXQ_UNROLL for (int q = 1; q < 8; ++q) s = _mm256_add_epi16(s, _mm256_maddubs_epi16(w[q], Broadcast4(x + 4 * q)));
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
  }
};
struct Q8_0P {
  static constexpr bool kUsesBias = false, kMins = false, kHighBit = false;
  static constexpr size_t kHeader = 32, kBytes = 544;
  static void Codes(const uint8_t* planes, __m256i w[8]) {
    MIXQ_UNROLL for (int j = 0; j < 8; ++j)
      w[j] = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(planes + 64 * j)),
                              _mm256_set1_epi8(static_cast<char>(0x80)));
  }
  static __m256i Dot(const __m256i w[8], const int8_t* x) {
    __m256i s = _mm256_setzero_si256();
    MIXQ_UNROLL for (int q = 0; q < 8; ++q) {
      s = _mm256_add_epi32(s, DotSigned4(w[q], Broadcast4(x + 4 * q)));
    }
    return s;
  }
};

// Nibbles 0..15 with no zero point (value = d * q + m): Q4_0's codes and int16 sums, no bias;
// the min term is added per block.
struct Q4_1P : Q4_0P {
  static constexpr bool kUsesBias = false, kMins = true;
  static constexpr size_t kHeader = 64, kBytes = 320;
};
// Nibbles index the codebook; its signed values (-127..113) are multiplied as Q8_0's codes.
struct IQ4_NLP : Q8_0P {
  static constexpr size_t kBytes = 288;
  static void Codes(const uint8_t* planes, __m256i w[8]) {
    Q4_0P::Codes(planes, w);
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues)));
    MIXQ_UNROLL for (int j = 0; j < 8; ++j) w[j] = _mm256_shuffle_epi8(table, w[j]);
  }
};

// Q5_0 (codes + 16, offset bias), Q5_1 (codes 0..31, min term): Q4_0's nibbles plus bit 4 from
// the bit plane (packed.h). 5-bit pair sums reach 2 * 31 * 127 = 7874, so four groups at most
// are summed in int16 (31496) before each madd.
struct Q5_0P : Q4_0P {
  static constexpr bool kHighBit = true;
  static constexpr size_t kBytes = 352;
  static __m256i Dot(const __m256i w[8], const int8_t* x) {
    __m256i lo = _mm256_maddubs_epi16(w[0], Broadcast4(x)), hi = _mm256_maddubs_epi16(w[4], Broadcast4(x + 16));
    MIXQ_UNROLL for (int q = 1; q < 4; ++q) {
      lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(w[q], Broadcast4(x + 4 * q)));
      hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(w[q + 4], Broadcast4(x + 16 + 4 * q)));
    }
    const __m256i ones = _mm256_set1_epi16(1);
    return _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, ones));
  }
};
struct Q5_1P : Q5_0P {
  static constexpr bool kUsesBias = false, kMins = true;
  static constexpr size_t kHeader = 64, kBytes = 384;
};

template <typename P, int TB>
inline void Tile(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t g, int64_t t, int valid) {
  const int64_t blocks = m.cols / 32;
  __m256 acc[2][TB];
  MIXQ_UNROLL for (int h = 0; h < 2; ++h)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[h][j] = _mm256_setzero_ps();
  const uint8_t* const first = m.tile(g, 0);
  // Block b of the group, whose tile is at first + b * P::kBytes.
  auto block = [&](int64_t b) __attribute__((always_inline)) {
    const uint8_t* tile = first + b * P::kBytes;
    MIXQ_UNROLL for (int h = 0; h < 2; ++h) {  // rows 8h..8h+7
      const __m256 sw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + 16 * h)));
      __m256i w[8];
      P::Codes(tile + P::kHeader + 32 * h, w);
      if constexpr (P::kHighBit) AddHighBits(tile + P::kHeader + 4 * 64 + 4 * h, w);
      MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
        __m256i s = P::Dot(w, xq.row_qs(t + j) + b * 32);
        if constexpr (P::kUsesBias) s = _mm256_add_epi32(s, _mm256_set1_epi32(xq.row_block_bias(t + j)[b]));
        const float dx = xq.row_d(t + j)[b];
        const __m256 scale = _mm256_mul_ps(sw, _mm256_set1_ps(dx));
        if constexpr (P::kMins) {  // fma(dw * dx, sum, -(mw * xs)), mw = -min, as qkernels_kquant_ref.cc
          const __m256 mw = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_cvtph_ps(_mm_loadu_si128(
                                                                    reinterpret_cast<const __m128i*>(tile + 32 + 16 * h))));
          const int32_t* s16 = xq.row_sum16(t + j) + 2 * b;
          const __m256 xsum = _mm256_set1_ps(dx * static_cast<float>(s16[0] + s16[1]));
          acc[h][j] = _mm256_add_ps(acc[h][j], _mm256_fmsub_ps(scale, _mm256_cvtepi32_ps(s), _mm256_mul_ps(mw, xsum)));
        } else {
          acc[h][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, acc[h][j]);
        }
      }
    }
  };
  if constexpr (TB == 1) {  // decode: one prefetched stream, as the AVX-512 kernels (decode_stream.h)
    WalkDecodeRuns<P::kBytes>(first, blocks, block);
  } else {
    for (int64_t b = 0; b < blocks; ++b) block(b);
  }
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) StoreRowGroup(acc[0][j], acc[1][j], y + (t + j) * m.rows + g * 16, valid);
}

template <typename P>
void Drive(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  MIXQ_CHECK(m.block_bytes == P::kBytes);  // Tile strides by the type's tile size
  WalkPackedTiles<2>(xq.n, r0, r1, [&]<int T>(int64_t g, int64_t t, int valid) { Tile<P, T>(m, xq, y, g, t, valid); });
}

}  // namespace

bool PackedRowsAvx2(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (r0 % 16 != 0) return false;
  switch (m.type) {
    case DType::kQ4_0: Drive<Q4_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ8_0: Drive<Q8_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ4_1: Drive<Q4_1P>(m, xq, y, r0, r1); return true;
    case DType::kIQ4_NL: Drive<IQ4_NLP>(m, xq, y, r0, r1); return true;
    case DType::kQ5_0: Drive<Q5_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ5_1: Drive<Q5_1P>(m, xq, y, r0, r1); return true;
    default: return PackedKQuantRowsAvx2(m, xq, y, r0, r1);
  }
}

}  // namespace mixq::kernels
