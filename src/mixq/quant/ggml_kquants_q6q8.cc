// Q6_K (6-bit weights, 16 sub-blocks of 16 with int8 scales) and Q8_K (the 8-bit activation
// side of K-quant dot products). Layouts in blocks.h.
#include <algorithm>
#include <cmath>

#include "mixq/base/half.h"
#include "mixq/quant/ggml_codecs.h"
#include "mixq/quant/ggml_kquants.h"
#include "mixq/quant/ggml_search.h"

namespace mixq {
namespace {

// Element e = 128 h + 32 k + l: low four bits in ql[64 h + 32 (k % 2) + l] (nibble k / 2),
// high two bits in bits 2k..2k+1 of qh[32 h + l].
inline int QlIndex(int e) { return 64 * (e / 128) + 32 * ((e / 32) % 2) + e % 32; }
inline int QlShift(int e) { return 4 * (((e % 128) / 32) / 2); }
inline int QhIndex(int e) { return 32 * (e / 128) + e % 32; }
inline int QhShift(int e) { return 2 * ((e % 128) / 32); }

void DequantizeBlockQ6_K(const BlockQ6_K* b, float* y) {
  const float d = F16ToFloat(b->d);
  for (int e = 0; e < kQK_K; ++e) {
    const int q = ((b->ql[QlIndex(e)] >> QlShift(e)) & 0xF) | ((b->qh[QhIndex(e)] >> QhShift(e)) & 3) << 4;
    // ggml: d * sc * (q - 32), evaluated left to right.
    y[e] = d * static_cast<float>(b->scales[e / 16]) * static_cast<float>(q - 32);
  }
}

void QuantizeBlockQ6_K(const float* x, const float* w, BlockQ6_K* b) {
  ggml::ScaleSuperBlock sb;
  ggml::QuantizeScaleSuperBlock({/*sub_size=*/16, /*q_lo=*/-32, /*q_hi=*/31, /*scale_lo=*/-128, /*scale_hi=*/127},
                                x, w, &sb);
  b->d = sb.d;
  for (int s = 0; s < 16; ++s) b->scales[s] = sb.sc[s];
  for (uint8_t& v : b->ql) v = 0;
  for (uint8_t& v : b->qh) v = 0;
  for (int e = 0; e < kQK_K; ++e) {
    const int u = sb.q[e] + 32;  // 0..63
    b->ql[QlIndex(e)] |= static_cast<uint8_t>((u & 0xF) << QlShift(e));
    b->qh[QhIndex(e)] |= static_cast<uint8_t>((u >> 4) << QhShift(e));
  }
}

void DequantizeBlockQ8_K(const BlockQ8_K* b, float* y) {
  for (int e = 0; e < kQK_K; ++e) y[e] = b->d * static_cast<float>(b->qs[e]);
}

void QuantizeBlockQ8_K(const float* x, const float* w, BlockQ8_K* b) {
  const ggml::Grid grid = ggml::Grid::Int(-127, 127);
  uint8_t q[kQK_K];
  if (w != nullptr) {
    b->d = ggml::SearchScale(grid, x, w, kQK_K, q);  // f32 scale: stored as searched
  } else {
    float amax = 0;
    for (int e = 0; e < kQK_K; ++e) amax = std::max(amax, std::fabs(x[e]));
    b->d = amax / 127.0f;
    ggml::RoundToGrid(grid, b->d, x, kQK_K, q);
  }
  if (!std::isfinite(b->d)) b->d = 0;
  for (int e = 0; e < kQK_K; ++e) b->qs[e] = static_cast<int8_t>(q[e] - 127);
  for (int g = 0; g < kQK_K / 16; ++g) {
    int sum = 0;
    for (int e = 16 * g; e < 16 * g + 16; ++e) sum += b->qs[e];
    b->bsums[g] = static_cast<int16_t>(sum);
  }
}

}  // namespace

void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ6_K, kQK_K>(DequantizeBlockQ6_K, x, y, n);
}
void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n) {
  ggml::DequantizeRowBlocks<BlockQ8_K, kQK_K>(DequantizeBlockQ8_K, x, y, n);
}
void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ6_K, kQK_K>(x, y, n, importance, QuantizeBlockQ6_K, DequantizeBlockQ6_K);
}
void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n, const float* importance) {
  ggml::QuantizeRowBlocks<BlockQ8_K, kQK_K>(x, y, n, importance, QuantizeBlockQ8_K, DequantizeBlockQ8_K);
}

}  // namespace mixq
