// The scalar reference kernels: the specification every SIMD kernel is tested against.
// Each output accumulates w[c] * x[c] in f32, c ascending.
#include <cmath>
#include <cstring>

#include "mixq/base/half.h"
#include "mixq/kernels/kernel_table.h"

namespace mixq::kernels {
namespace {

template <typename LoadW>
void MatMulRowsRef(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1, LoadW load) {
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_bytes;
    for (int64_t t = 0; t < n; ++t) {
      const float* xt = x + t * w.cols;
      float acc = 0.0f;
      for (int64_t c = 0; c < w.cols; ++c) acc += load(row, c) * xt[c];
      y[t * w.rows + r] = acc;
    }
  }
}

bool MatMulRows(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  switch (w.type) {
    case DType::kF32:
      MatMulRowsRef(w, x, n, y, r0, r1, [](const uint8_t* row, int64_t c) {
        float v;
        std::memcpy(&v, row + 4 * c, 4);
        return v;
      });
      return true;
    case DType::kF16:
      MatMulRowsRef(w, x, n, y, r0, r1, [](const uint8_t* row, int64_t c) {
        uint16_t h;
        std::memcpy(&h, row + 2 * c, 2);
        return F16ToFloat(h);
      });
      return true;
    case DType::kBF16:
      MatMulRowsRef(w, x, n, y, r0, r1, [](const uint8_t* row, int64_t c) {
        uint16_t h;
        std::memcpy(&h, row + 2 * c, 2);
        return Bf16ToFloat(h);
      });
      return true;
    default: return false;
  }
}

float Dot(const float* a, const float* b, int64_t n) {
  float acc = 0.0f;
  for (int64_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

uint64_t XorWords(const uint64_t* p, int64_t n) {
  uint64_t acc = 0;
  for (int64_t i = 0; i < n; ++i) acc ^= p[i];
  return acc;
}

// silu(g) * up with libm's expf; the SIMD kernels keep the add, divide and multiply as they
// are here and replace only the exp (silu_simd.h).
void SiluMul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

}  // namespace

const KernelTable& RefKernels() {
  static const KernelTable table = {MatMulRows, Dot, Axpy, XorWords, SiluMul};
  return table;
}

}  // namespace mixq::kernels
