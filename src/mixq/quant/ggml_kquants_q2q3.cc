// Q2_K and Q3_K: 2- and 3-bit K-quants, 16 sub-blocks of 16 elements (layouts in blocks.h).
// Both keep the low two bits of element e in bits 2j..2j+1 of qs[32 h + l], h = e / 128,
// j = (e % 128) / 32, l = e % 32; Q3_K adds a high bit per element in hmask.
#include "mixq/base/half.h"
#include "mixq/quant/ggml_codecs.h"
#include "mixq/quant/ggml_kquants.h"
#include "mixq/quant/ggml_search.h"

namespace mixq {
namespace {

inline int QsIndex(int e) { return 32 * (e / 128) + e % 32; }
inline int QsShift(int e) { return 2 * ((e % 128) / 32); }

void DequantizeBlockQ2_K(const BlockQ2_K* b, float* y) {
  const float d = F16ToFloat(b->d), dmin = F16ToFloat(b->dmin);
  for (int s = 0; s < 16; ++s) {
    // ggml: dl = d * scale, ml = dmin * min, x = dl * q - ml.
    const float dl = d * static_cast<float>(b->scales[s] & 0xF);
    const float ml = dmin * static_cast<float>(b->scales[s] >> 4);
    for (int e = 16 * s; e < 16 * s + 16; ++e) {
      const int q = (b->qs[QsIndex(e)] >> QsShift(e)) & 3;
      y[e] = dl * static_cast<float>(q) - ml;
    }
  }
}

void QuantizeBlockQ2_K(const float* x, const float* w, BlockQ2_K* b) {
  ggml::ScaleMinSuperBlock sb;
  ggml::QuantizeScaleMinSuperBlock({/*sub_size=*/16, /*qmax=*/3, /*scale_max=*/15}, x, w, &sb);
  b->d = sb.d;
  b->dmin = sb.dmin;
  for (int s = 0; s < 16; ++s) b->scales[s] = static_cast<uint8_t>(sb.sc[s] | sb.m[s] << 4);
  for (uint8_t& v : b->qs) v = 0;
  for (int e = 0; e < kQK_K; ++e) b->qs[QsIndex(e)] |= static_cast<uint8_t>(sb.q[e] << QsShift(e));
}

void DequantizeBlockQ3_K(const BlockQ3_K* b, float* y) {
  const float d = F16ToFloat(b->d);
  for (int s = 0; s < 16; ++s) {
    // ggml: dl = d * (sc - 32), x = dl * (low - (hbit ? 0 : 4)).
    const float dl = d * static_cast<float>(UnpackScaleQ3_K(b->scales, s) - 32);
    for (int e = 16 * s; e < 16 * s + 16; ++e) {
      const int low = (b->qs[QsIndex(e)] >> QsShift(e)) & 3;
      const bool high = (b->hmask[e % 32] >> (e / 32)) & 1;
      y[e] = dl * static_cast<float>(low - (high ? 0 : 4));
    }
  }
}

void QuantizeBlockQ3_K(const float* x, const float* w, BlockQ3_K* b) {
  ggml::ScaleSuperBlock sb;
  ggml::QuantizeScaleSuperBlock({/*sub_size=*/16, /*q_lo=*/-4, /*q_hi=*/3, /*scale_lo=*/-32, /*scale_hi=*/31}, x,
                                w, &sb);
  b->d = sb.d;
  uint8_t sc[16];
  for (int s = 0; s < 16; ++s) sc[s] = static_cast<uint8_t>(sb.sc[s] + 32);
  PackScalesQ3_K(sc, b->scales);
  for (uint8_t& v : b->qs) v = 0;
  for (uint8_t& v : b->hmask) v = 0;
  for (int e = 0; e < kQK_K; ++e) {
    const int u = sb.q[e] + 4;  // 0..7: bit 2 is the high bit ("no -4"), bits 0-1 the low bits
    b->qs[QsIndex(e)] |= static_cast<uint8_t>((u & 3) << QsShift(e));
    b->hmask[e % 32] |= static_cast<uint8_t>((u >> 2) << (e / 32));
  }
}

}  // namespace

void DequantizeRowQ2_K(const BlockQ2_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ2_K, kQK_K>(DequantizeBlockQ2_K, x, y, n);
}
void DequantizeRowQ3_K(const BlockQ3_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ3_K, kQK_K>(DequantizeBlockQ3_K, x, y, n);
}
void QuantizeRowQ2_K(const float* x, BlockQ2_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ2_K, kQK_K>(x, y, n, importance, QuantizeBlockQ2_K, DequantizeBlockQ2_K);
}
void QuantizeRowQ3_K(const float* x, BlockQ3_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ3_K, kQK_K>(x, y, n, importance, QuantizeBlockQ3_K, DequantizeBlockQ3_K);
}

}  // namespace mixq
