// Q4_K and Q5_K: 4- and 5-bit K-quants, 8 sub-blocks of 32 elements with 6-bit scales and
// mins packed into 12 bytes (layouts in blocks.h). Element e's low four bits are a nibble of
// qs[32 c + l] (c = e / 64, l = e % 32; low nibble for the first 32 of the 64); Q5_K's fifth
// bit is bit s = e / 32 of qh[l].
#include "mixq/base/half.h"
#include "mixq/quant/ggml_codecs.h"
#include "mixq/quant/ggml_kquants.h"
#include "mixq/quant/ggml_search.h"

namespace mixq {
namespace {

inline int QsIndex(int e) { return 32 * (e / 64) + e % 32; }
inline int QsShift(int e) { return 4 * ((e / 32) % 2); }

// ggml's order: d1 = d * sc, m1 = dmin * m, x = d1 * q - m1 (q including Q5_K's high bit).
template <typename Block>
void DequantizeScaleMin(const Block* b, const uint8_t* high_bits, float* y) {
  const float d = F16ToFloat(b->d), dmin = F16ToFloat(b->dmin);
  for (int s = 0; s < 8; ++s) {
    uint8_t sc, m;
    UnpackScaleMinK4(b->scales, s, &sc, &m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    for (int e = 32 * s; e < 32 * s + 32; ++e) {
      int q = (b->qs[QsIndex(e)] >> QsShift(e)) & 0xF;
      if (high_bits != nullptr) q += ((high_bits[e % 32] >> s) & 1) << 4;
      y[e] = d1 * static_cast<float>(q) - m1;
    }
  }
}

// Fills d, dmin, scales and qs (the low four bits); returns the super-block for the high bits.
template <typename Block>
ggml::ScaleMinSuperBlock QuantizeScaleMin(int qmax, const float* x, const float* w, Block* b) {
  ggml::ScaleMinSuperBlock sb;
  ggml::QuantizeScaleMinSuperBlock({/*sub_size=*/32, qmax, /*scale_max=*/63}, x, w, &sb);
  b->d = sb.d;
  b->dmin = sb.dmin;
  PackScaleMinK4(sb.sc, sb.m, b->scales);
  for (uint8_t& v : b->qs) v = 0;
  for (int e = 0; e < kQK_K; ++e) b->qs[QsIndex(e)] |= static_cast<uint8_t>((sb.q[e] & 0xF) << QsShift(e));
  return sb;
}

void DequantizeBlockQ4_K(const BlockQ4_K* b, float* y) { DequantizeScaleMin(b, nullptr, y); }
void DequantizeBlockQ5_K(const BlockQ5_K* b, float* y) { DequantizeScaleMin(b, b->qh, y); }

void QuantizeBlockQ4_K(const float* x, const float* w, BlockQ4_K* b) { QuantizeScaleMin(15, x, w, b); }

void QuantizeBlockQ5_K(const float* x, const float* w, BlockQ5_K* b) {
  const ggml::ScaleMinSuperBlock sb = QuantizeScaleMin(31, x, w, b);
  for (uint8_t& v : b->qh) v = 0;
  for (int e = 0; e < kQK_K; ++e) b->qh[e % 32] |= static_cast<uint8_t>((sb.q[e] >> 4) << (e / 32));
}

}  // namespace

void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ4_K, kQK_K>(DequantizeBlockQ4_K, x, y, n);
}
void DequantizeRowQ5_K(const BlockQ5_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ5_K, kQK_K>(DequantizeBlockQ5_K, x, y, n);
}
void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ4_K, kQK_K>(x, y, n, importance, QuantizeBlockQ4_K, DequantizeBlockQ4_K);
}
void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ5_K, kQK_K>(x, y, n, importance, QuantizeBlockQ5_K, DequantizeBlockQ5_K);
}

}  // namespace mixq
