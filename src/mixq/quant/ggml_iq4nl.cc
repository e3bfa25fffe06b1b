// IQ4_NL: 32-element blocks of 4-bit indices into a fixed non-linear codebook (blocks.h).
// The codebook is denser near zero, matching the bell shape of weight distributions, so it
// beats Q4_0's uniform grid at the same 4.5 bpw. Dequantization is ggml's d * value.
#include "mixq/base/half.h"
#include "mixq/quant/ggml_codecs.h"
#include "mixq/quant/ggml_search.h"

namespace mixq {
namespace {

void DequantizeBlockIQ4_NL(const BlockIQ4_NL* b, float* y) {
  const float d = F16ToFloat(b->d);
  uint8_t q[kQK];
  UnpackNibbles32(b->qs, q);
  for (int e = 0; e < kQK; ++e) y[e] = d * static_cast<float>(kIq4nlValues[q[e]]);
}

void QuantizeBlockIQ4_NL(const float* x, const float* w, BlockIQ4_NL* b) {
  const ggml::Grid grid = ggml::Grid::Codebook(kIq4nlValues, 16);
  uint8_t q[kQK];
  const float d = ggml::RoundToF16(ggml::SearchScale(grid, x, w, kQK, q));
  ggml::RoundToGrid(grid, d, x, kQK, q);
  b->d = FloatToF16(d);
  PackNibbles32(q, b->qs);
}

}  // namespace

void DequantizeRowIQ4_NL(const BlockIQ4_NL* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockIQ4_NL, kQK>(DequantizeBlockIQ4_NL, x, y, n);
}

void QuantizeRowIQ4_NL(const float* x, BlockIQ4_NL* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockIQ4_NL, kQK>(x, y, n, importance, QuantizeBlockIQ4_NL, DequantizeBlockIQ4_NL);
}

}  // namespace mixq
