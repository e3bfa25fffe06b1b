// AVX-512 kernels (16 f32 lanes; F+BW+VL+DQ). Row tails use masked loads, so each output is
// one 16-lane FMA accumulation over the whole row followed by a fixed horizontal sum.
#include <immintrin.h>

#include "mixq/kernels/kernel_table.h"
#include "mixq/kernels/silu_simd.h"
#include "mixq/kernels/tile_walk.h"

// Register-blocked loops must be fully unrolled or the accumulators spill to the stack.
#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

struct F32Row {
  static constexpr int kElementBytes = 4;
  static __m512 Load(const uint8_t* row, int64_t c, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + c);
  }
};
struct Bf16Row {
  static constexpr int kElementBytes = 2;
  static __m512 Load(const uint8_t* row, int64_t c, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, row + 2 * c);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};
struct F16Row {
  static constexpr int kElementBytes = 2;
  static __m512 Load(const uint8_t* row, int64_t c, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, row + 2 * c));
  }
};

inline __mmask16 TailMask(int64_t remaining) {
  return remaining >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << remaining) - 1);
}

template <typename Row, int RB, int TB>
inline void Tile(const WeightMatrix& w, const float* x, float* y, int64_t r, int64_t t) {
  const int64_t k = w.cols;
  const uint8_t* rows[RB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  __m512 acc[RB][TB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm512_setzero_ps();
  // Full vectors, then one masked step for the tail (same lanes, same order as a masked loop).
  auto step = [&](int64_t c, __mmask16 m) __attribute__((always_inline)) {
    __m512 wv[RB];
    MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
      // Decode streams weights from memory: fetch the same place of the next row tile.
      if constexpr (TB == 1) _mm_prefetch(reinterpret_cast<const char*>(rows[i] + RB * w.row_bytes) + c * Row::kElementBytes, _MM_HINT_T0);
      wv[i] = Row::Load(rows[i], c, m);
    }
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + (t + j) * k + c);
      MIXQ_UNROLL for (int i = 0; i < RB; ++i) acc[i][j] = _mm512_fmadd_ps(wv[i], xv, acc[i][j]);
    }
  };
  int64_t c = 0;
  for (; c + 16 <= k; c += 16) step(c, static_cast<__mmask16>(0xffff));
  if (c < k) step(c, TailMask(k - c));
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) y[(t + j) * w.rows + r + i] = _mm512_reduce_add_ps(acc[i][j]);
}

template <typename Row, int RB, int TB>
void Drive(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  WalkTiles<RB, TB>(n, r0, r1, [&]<int R, int T>(int64_t r, int64_t t) { Tile<Row, R, T>(w, x, y, r, t); });
}

template <typename Row>
void DriveAny(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  if (n == 1) Drive<Row, 8, 1>(w, x, n, y, r0, r1);
  else Drive<Row, 4, 4>(w, x, n, y, r0, r1);  // 16 accumulators + 4 weights + 1 x of 32 zmm
}

bool MatMulRows(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  switch (w.type) {
    case DType::kF32: DriveAny<F32Row>(w, x, n, y, r0, r1); return true;
    case DType::kF16: DriveAny<F16Row>(w, x, n, y, r0, r1); return true;
    case DType::kBF16: DriveAny<Bf16Row>(w, x, n, y, r0, r1); return true;
    default: return false;
  }
}

float Dot(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 r = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
    _mm512_mask_storeu_ps(y + i, m, r);
  }
}

// Four independent 64-byte accumulators: four cache lines per step; the tail is masked.
uint64_t XorWords(const uint64_t* p, int64_t n) {
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    MIXQ_UNROLL for (int a = 0; a < 4; ++a) acc[a] = _mm512_xor_si512(acc[a], _mm512_loadu_si512(p + i + 8 * a));
  for (; i < n; i += 8) {
    const __mmask8 m = n - i >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << (n - i)) - 1);
    acc[0] = _mm512_xor_si512(acc[0], _mm512_maskz_loadu_epi64(m, p + i));
  }
  const __m512i v = _mm512_xor_si512(_mm512_xor_si512(acc[0], acc[1]), _mm512_xor_si512(acc[2], acc[3]));
  uint64_t lanes[8];
  _mm512_storeu_si512(lanes, v);
  uint64_t s = 0;
  for (uint64_t l : lanes) s ^= l;
  return s;
}

// The lane operations of silu_simd.h on 16 lanes; scalef rounds p 2^k once, inf past FLT_MAX.
struct Lanes16 {
  using Vec = __m512;
  static Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Vec TimesPow2(Vec p, Vec k) { return _mm512_scalef_ps(p, k); }
};

void SiluMul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = TailMask(n - i);
    const __m512 out = SiluTimes<Lanes16>(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i));
    _mm512_mask_storeu_ps(gate + i, m, out);
  }
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = {MatMulRows, Dot, Axpy, XorWords, SiluMul};
  return table;
}

}  // namespace mixq::kernels
