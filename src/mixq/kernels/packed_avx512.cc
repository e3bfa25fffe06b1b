// AVX-512 VNNI kernels on the packed layout (packed.h). Per (group of 16 rows, block of 32
// columns, token): 8 dpbusd, one per 4-element group, each multiplying the 16 rows' unsigned
// codes by the token's 4 activation codes broadcast to every lane, accumulated onto the block's
// offset bias (-offset * sum of the block's activation codes), so lane r ends as the exact
// integer dot of row r's block; then one convert and one FMA by the 16 scales times the token's
// activation scale.
#include <immintrin.h>

#include <cstring>

#include "mixq/base/context.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/tile_walk.h"

#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

struct Q4_0P {
  static void Codes(const uint8_t* planes, __m512i w[8]) {
    const __m512i mask = _mm512_set1_epi8(0x0F);
    MIXQ_UNROLL for (int j = 0; j < 4; ++j) {
      const __m512i p = _mm512_loadu_si512(planes + 64 * j);
      w[j] = _mm512_and_si512(p, mask);
      w[j + 4] = _mm512_and_si512(_mm512_srli_epi16(p, 4), mask);
    }
  }
};
struct Q8_0P {
  static void Codes(const uint8_t* planes, __m512i w[8]) {
    MIXQ_UNROLL for (int j = 0; j < 8; ++j) w[j] = _mm512_loadu_si512(planes + 64 * j);
  }
};

inline __m512i Broadcast4(const int8_t* x) {
  int32_t v;
  std::memcpy(&v, x, 4);
  return _mm512_set1_epi32(v);
}

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
  const uint8_t* tile = m.tile(g, 0);
  for (int64_t b = 0; b < blocks; ++b, tile += m.block_bytes) {
    if constexpr (TB == 1) _mm_prefetch(reinterpret_cast<const char*>(tile + 8 * m.block_bytes), _MM_HINT_T0);
    const __m512 sw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile)));
    __m512i w[8];
    P::Codes(tile + 32, w);
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const int8_t* x = xs[j] + b * 32;
      // Two independent chains of four dpbusd each (latency), joined before the convert.
      __m512i s0 = _mm512_set1_epi32(bias[j][b]), s1 = _mm512_setzero_si512();
      MIXQ_UNROLL for (int q = 0; q < 8; q += 2) {
        s0 = _mm512_dpbusd_epi32(s0, w[q], Broadcast4(x + 4 * q));
        s1 = _mm512_dpbusd_epi32(s1, w[q + 1], Broadcast4(x + 4 * q + 4));
      }
      const __m512 scale = _mm512_mul_ps(sw, _mm512_set1_ps(ds[j][b]));
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), scale, acc[j]);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1);
  MIXQ_UNROLL for (int j = 0; j < TB; ++j) _mm512_mask_storeu_ps(y + (t + j) * m.rows + g * 16, mask, acc[j]);
}

template <typename P>
void Drive(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  WalkPackedTiles<4>(xq.n, r0, r1, [&]<int T>(int64_t g, int64_t t, int valid) { Tile<P, T>(m, xq, y, g, t, valid); });
}

}  // namespace

bool PackedRowsAvx512(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (!GetCpuFeatures().avx512_vnni || r0 % 16 != 0) return false;
  switch (m.type) {
    case DType::kQ4_0: Drive<Q4_0P>(m, xq, y, r0, r1); return true;
    case DType::kQ8_0: Drive<Q8_0P>(m, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
