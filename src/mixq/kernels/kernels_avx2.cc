// AVX2 + FMA kernels (8 f32 lanes). Compiled with -mavx2 -mfma -mf16c; reached only through
// the dispatch table when the CPU has them. Each output: 8-lane FMA accumulation over the
// multiple-of-8 part of the row, a fixed horizontal sum, then the scalar tail in order.
#include <immintrin.h>

#include "mixq/kernels/avx2_util.h"

#include <cstring>

#include "mixq/base/half.h"
#include "mixq/kernels/kernel_table.h"
#include "mixq/kernels/silu_simd.h"
#include "mixq/kernels/tile_walk.h"

// Register-blocked loops must be fully unrolled or the accumulators spill to the stack.
#define MIXQ_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

struct F32Row {
  static constexpr int kElementBytes = 4;
  static __m256 Load(const uint8_t* row, int64_t c) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + c); }
  static float Scalar(const uint8_t* row, int64_t c) {
    float v;
    std::memcpy(&v, row + 4 * c, 4);
    return v;
  }
};
struct Bf16Row {
  static constexpr int kElementBytes = 2;
  static __m256 Load(const uint8_t* row, int64_t c) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float Scalar(const uint8_t* row, int64_t c) {
    uint16_t h;
    std::memcpy(&h, row + 2 * c, 2);
    return Bf16ToFloat(h);
  }
};
struct F16Row {
  static constexpr int kElementBytes = 2;
  static __m256 Load(const uint8_t* row, int64_t c) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * c)));
  }
  static float Scalar(const uint8_t* row, int64_t c) {
    uint16_t h;
    std::memcpy(&h, row + 2 * c, 2);
    return F16ToFloat(h);
  }
};

// Outputs for rows [r, r+RB) x tokens [t, t+TB): RB*TB accumulators in registers.
template <typename Row, int RB, int TB>
inline void Tile(const WeightMatrix& w, const float* x, float* y, int64_t r, int64_t t) {
  const int64_t k = w.cols, kv = k / 8 * 8;
  const uint8_t* rows[RB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i) rows[i] = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r + i) * w.row_bytes;
  __m256 acc[RB][TB];
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t c = 0; c < kv; c += 8) {
    __m256 wv[RB];
    MIXQ_UNROLL for (int i = 0; i < RB; ++i) {
      // Decode streams weights from memory: fetch the same place of the next row tile.
      if constexpr (TB == 1) _mm_prefetch(reinterpret_cast<const char*>(rows[i] + RB * w.row_bytes) + c * Row::kElementBytes, _MM_HINT_T0);
      wv[i] = Row::Load(rows[i], c);
    }
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      const __m256 xv = _mm256_loadu_ps(x + (t + j) * k + c);
      MIXQ_UNROLL for (int i = 0; i < RB; ++i) acc[i][j] = _mm256_fmadd_ps(wv[i], xv, acc[i][j]);
    }
  }
  MIXQ_UNROLL for (int i = 0; i < RB; ++i)
    MIXQ_UNROLL for (int j = 0; j < TB; ++j) {
      float s = Hsum(acc[i][j]);
      const float* xt = x + (t + j) * k;
      for (int64_t c = kv; c < k; ++c) s += Row::Scalar(rows[i], c) * xt[c];
      y[(t + j) * w.rows + r + i] = s;
    }
}

template <typename Row, int RB, int TB>
void Drive(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  WalkTiles<RB, TB>(n, r0, r1, [&]<int R, int T>(int64_t r, int64_t t) { Tile<Row, R, T>(w, x, y, r, t); });
}

template <typename Row>
void DriveAny(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  if (n == 1) Drive<Row, 8, 1>(w, x, n, y, r0, r1);  // decode: more rows in flight
  else Drive<Row, 4, 2>(w, x, n, y, r0, r1);          // 8 accumulators + 4 weights + 1 x
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
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float s = Hsum(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

// Four independent 32-byte accumulators: two cache lines per step.
uint64_t XorWords(const uint64_t* p, int64_t n) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int a = 0; a < 4; ++a)
      acc[a] = _mm256_xor_si256(acc[a], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4 * a)));
  const __m256i v = _mm256_xor_si256(_mm256_xor_si256(acc[0], acc[1]), _mm256_xor_si256(acc[2], acc[3]));
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), v);
  uint64_t s = lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
  for (; i < n; ++i) s ^= p[i];
  return s;
}

// The lane operations of silu_simd.h on 8 lanes.
struct Lanes8 {
  using Vec = __m256;
  static Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  // (2p) 2^(k-1): 2^(k-1) is built from its exponent bits, which cannot encode 2^128.
  static Vec TimesPow2(Vec p, Vec k) {
    const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127 - 1));
    return (p + p) * _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
  }
};

// Full vectors, then the tail through masked loads and stores, so every element goes through
// the same vector arithmetic wherever it sits (masked-off lanes read 0 and are not written).
void SiluMul(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 out = SiluTimes<Lanes8>(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i));
    _mm256_storeu_ps(gate + i, out);
  }
  if (i == n) return;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), lane);  // lane < n - i
  const __m256 out = SiluTimes<Lanes8>(_mm256_maskload_ps(gate + i, tail), _mm256_maskload_ps(up + i, tail));
  _mm256_maskstore_ps(gate + i, tail, out);
}

}  // namespace

const KernelTable& Avx2Kernels() {
  static const KernelTable table = {MatMulRows, Dot, Axpy, XorWords, SiluMul};
  return table;
}

}  // namespace mixq::kernels
