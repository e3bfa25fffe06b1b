// Quantized weight matrices for the kernel tests: codec-quantized bytes, their dequantized
// values (the exact weights the kernels see) and the WeightMatrix view.
#pragma once

#include <cmath>
#include <functional>
#include <vector>

#include "mixq/kernels/matmul.h"
#include "mixq/quant/codec.h"

namespace mixq::testing {

struct QuantCase {
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;  // {rows, cols}
  WeightMatrix w;
};

// Weights from gen(r, c), quantized by the type's codec.
inline QuantCase MakeQuantCase(DType type, int64_t rows, int64_t cols, const std::function<float(int64_t, int64_t)>& gen) {
  QuantCase m;
  const size_t row_bytes = *DTypeBytes(type, cols);
  m.bytes.resize(row_bytes * rows);
  m.dequantized.resize(static_cast<size_t>(rows * cols));
  const QuantCodec* codec = FindQuantCodec(type);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) row[c] = gen(r, c);
    codec->quantize_row(row.data(), m.bytes.data() + r * row_bytes, cols, nullptr);
    codec->dequantize_row(m.bytes.data() + r * row_bytes, m.dequantized.data() + r * cols, cols);
  }
  m.w = {type, rows, cols, m.bytes.data(), row_bytes};
  return m;
}

// How far a SIMD kernel may be from the scalar specification for output (t, r): the same exact
// integer block dots, only the f32 sums of the block terms reordered (and fused), so a few
// ulps of sum |w x| per 32-element block.
inline double ReorderBound(const QuantCase& m, const std::vector<float>& x, int64_t t, int64_t r) {
  const int64_t cols = m.w.cols;
  double mag = 0;
  for (int64_t c = 0; c < cols; ++c) mag += std::fabs(m.dequantized[r * cols + c] * x[t * cols + c]);
  return 4.0 * static_cast<double>(cols) / 32 * std::ldexp(1.0, -23) * (mag + 1e-6) + 1e-6;
}

}  // namespace mixq::testing
