// The legacy 32-element ggml types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (layouts in blocks.h).
// Dequantization keeps ggml's arithmetic: float(q) * d for the symmetric types and
// float(q) * d + m for the offset ones, each rounded once per operation.
#include <algorithm>
#include <cmath>

#include "mixq/base/half.h"
#include "mixq/quant/ggml_codecs.h"
#include "mixq/quant/ggml_search.h"

namespace mixq {
namespace {

using ggml::Grid;

// ---- symmetric types: x = (q - bias) * d

// q{32} = grid indices (value + bias) of x for the scale chosen by the search, d as stored.
uint16_t QuantizeSymmetric32(const Grid& grid, const float* x, const float* w, uint8_t* q) {
  const float d = ggml::RoundToF16(ggml::SearchScale(grid, x, w, kQK, q));
  ggml::RoundToGrid(grid, d, x, kQK, q);
  return FloatToF16(d);
}

void DequantizeBlockQ4_0(const BlockQ4_0* b, float* y) {
  const float d = F16ToFloat(b->d);
  uint8_t q[kQK];
  UnpackNibbles32(b->qs, q);
  for (int e = 0; e < kQK; ++e) y[e] = static_cast<float>(q[e] - 8) * d;
}

void QuantizeBlockQ4_0(const float* x, const float* w, BlockQ4_0* b) {
  uint8_t q[kQK];
  b->d = QuantizeSymmetric32(Grid::Int(-8, 7), x, w, q);
  PackNibbles32(q, b->qs);
}

void DequantizeBlockQ5_0(const BlockQ5_0* b, float* y) {
  const float d = F16ToFloat(b->d);
  uint8_t q[kQK];
  UnpackNibbles32(b->qs, q);
  AddHighBits32(b->qh, q);
  for (int e = 0; e < kQK; ++e) y[e] = static_cast<float>(q[e] - 16) * d;
}

void QuantizeBlockQ5_0(const float* x, const float* w, BlockQ5_0* b) {
  uint8_t q[kQK];
  b->d = QuantizeSymmetric32(Grid::Int(-16, 15), x, w, q);
  PackNibbles32(q, b->qs);
  PackHighBits32(q, b->qh);
}

void DequantizeBlockQ8_0(const BlockQ8_0* b, float* y) {
  const float d = F16ToFloat(b->d);
  for (int e = 0; e < kQK; ++e) y[e] = static_cast<float>(b->qs[e]) * d;
}

void QuantizeBlockQ8_0(const float* x, const float* w, BlockQ8_0* b) {
  const Grid grid = Grid::Int(-127, 127);
  uint8_t q[kQK];
  if (w != nullptr) {
    b->d = QuantizeSymmetric32(grid, x, w, q);
  } else {
    float amax = 0;
    for (int e = 0; e < kQK; ++e) amax = std::max(amax, std::fabs(x[e]));
    const float d = ggml::RoundToF16(amax / 127.0f);
    ggml::RoundToGrid(grid, d, x, kQK, q);
    b->d = FloatToF16(d);
  }
  for (int e = 0; e < kQK; ++e) b->qs[e] = static_cast<int8_t>(q[e] - 127);
}

// ---- offset types: x = q * d + m

// q{32} in 0..qmax for (d, m) chosen by the search and stored as f16.
void QuantizeOffset32(int qmax, const float* x, const float* w, uint16_t* d_bits, uint16_t* m_bits, uint8_t* q) {
  float s = 0, b = 0;
  ggml::SearchScaleMin(qmax, /*min_le_zero=*/false, x, w, kQK, &s, &b, q);
  *d_bits = ggml::ToF16Clamped(s);
  *m_bits = ggml::ToF16Clamped(b);
  const float d = F16ToFloat(*d_bits), m = F16ToFloat(*m_bits);
  for (int e = 0; e < kQK; ++e) {
    const float t = d > 0 ? (x[e] - m) / d : 0.0f;
    q[e] = static_cast<uint8_t>(Grid::RoundHalfEven(std::clamp(t, 0.0f, static_cast<float>(qmax))));
  }
}

void DequantizeBlockQ4_1(const BlockQ4_1* b, float* y) {
  const float d = F16ToFloat(b->d), m = F16ToFloat(b->m);
  uint8_t q[kQK];
  UnpackNibbles32(b->qs, q);
  for (int e = 0; e < kQK; ++e) y[e] = static_cast<float>(q[e]) * d + m;
}

void QuantizeBlockQ4_1(const float* x, const float* w, BlockQ4_1* b) {
  uint8_t q[kQK];
  QuantizeOffset32(15, x, w, &b->d, &b->m, q);
  PackNibbles32(q, b->qs);
}

void DequantizeBlockQ5_1(const BlockQ5_1* b, float* y) {
  const float d = F16ToFloat(b->d), m = F16ToFloat(b->m);
  uint8_t q[kQK];
  UnpackNibbles32(b->qs, q);
  AddHighBits32(b->qh, q);
  for (int e = 0; e < kQK; ++e) y[e] = static_cast<float>(q[e]) * d + m;
}

void QuantizeBlockQ5_1(const float* x, const float* w, BlockQ5_1* b) {
  uint8_t q[kQK];
  QuantizeOffset32(31, x, w, &b->d, &b->m, q);
  PackNibbles32(q, b->qs);
  PackHighBits32(q, b->qh);
}

template <typename Block>
void DequantizeRow(void (*dequantize)(const Block*, float*), const Block* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<Block, kQK>(dequantize, x, y, n);
}

template <typename Block>
void QuantizeRow(void (*quantize)(const float*, const float*, Block*), void (*dequantize)(const Block*, float*),
                 const float* x, Block* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<Block, kQK>(x, y, n, importance, quantize, dequantize);
}

}  // namespace

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n) { DequantizeRow(DequantizeBlockQ4_0, x, y, n); }
void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t n) { DequantizeRow(DequantizeBlockQ4_1, x, y, n); }
void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t n) { DequantizeRow(DequantizeBlockQ5_0, x, y, n); }
void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t n) { DequantizeRow(DequantizeBlockQ5_1, x, y, n); }
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n) { DequantizeRow(DequantizeBlockQ8_0, x, y, n); }

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n, const float* importance) {
  QuantizeRow(QuantizeBlockQ4_0, DequantizeBlockQ4_0, x, y, n, importance);
}
void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t n, const float* importance) {
  QuantizeRow(QuantizeBlockQ4_1, DequantizeBlockQ4_1, x, y, n, importance);
}
void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t n, const float* importance) {
  QuantizeRow(QuantizeBlockQ5_0, DequantizeBlockQ5_0, x, y, n, importance);
}
void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t n, const float* importance) {
  QuantizeRow(QuantizeBlockQ5_1, DequantizeBlockQ5_1, x, y, n, importance);
}
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n, const float* importance) {
  QuantizeRow(QuantizeBlockQ8_0, DequantizeBlockQ8_0, x, y, n, importance);
}

}  // namespace mixq
