#include "mixq/quant/research_fp4.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "mixq/base/status.h"
#include "mixq/quant/research_fp8.h"
#include "mixq/quant/research_search.h"

namespace mixq::research {

float E2M1ToFloat(uint8_t code) {
  // A signed table: a branch on the sign mispredicts on every other weight.
  static constexpr float kValues[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                        -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  return kValues[code & 0xfu];
}

uint8_t FloatToE2M1(float x) {
  if (std::isnan(x)) return 0;
  const uint8_t sign = std::signbit(x) ? 0x8u : 0x0u;
  const float a = std::fabs(x);
  if (a >= 6.0f) return sign | 0x7u;
  if (a < 1.0f) return sign | static_cast<uint8_t>(RoundHalfEven(a * 2.0f));  // 0, 0.5, 1 (= code 2)
  // Normal: round the float's mantissa to 1 bit, ties to even; a carry is the next code.
  uint32_t bits;
  std::memcpy(&bits, &a, 4);
  const uint32_t rounded = (bits + 0x1fffffu + ((bits >> 22) & 1u)) >> 22;  // (exp << 1) | mant
  return sign | static_cast<uint8_t>(std::min<uint32_t>(rounded - ((127u - 1u) << 1), 7u));
}

float E8M0ToFloat(uint8_t code) {
  if (code == 0xffu) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(code) - 127);
}

int MxSharedExponent(float amax) {
  if (!(amax > 0.0f)) return -127;
  int e;
  std::frexp(amax, &e);  // amax = f * 2^e, f in [0.5, 1): floor(log2(amax)) = e - 1
  return std::clamp(e - 1 - 2, -127, 127);
}

namespace {

float AbsMax(const float* x, int n) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

// Encodes x{n} (n even) as E2M1 of x / scale into packed pairs; returns the weighted error of
// scale * e2m1 against x (w == nullptr: unit weights).
double EncodePairs(const float* x, const float* w, int n, float scale, uint8_t* packed) {
  double err = 0.0;
  for (int i = 0; i < n; i += 2) {
    uint8_t c[2];
    for (int j = 0; j < 2; ++j) {
      c[j] = scale > 0.0f ? FloatToE2M1(x[i + j] / scale) : 0;
      const double e = static_cast<double>(x[i + j]) - scale * E2M1ToFloat(c[j]);
      err += (w ? w[i + j] : 1.0) * e * e;
    }
    packed[i / 2] = static_cast<uint8_t>(c[0] | (c[1] << 4));
  }
  return err;
}

void DecodePairs(const uint8_t* packed, int n, float scale, float* dst) {
  for (int i = 0; i < n; i += 2) {
    dst[i] = scale * E2M1ToFloat(packed[i / 2] & 0xfu);
    dst[i + 1] = scale * E2M1ToFloat(packed[i / 2] >> 4);
  }
}

// Quantizes one block given its candidate scale codes: the first is the rule's (RTN); with
// weights the others are tried too and the lowest weighted error wins. `decode` maps a scale
// code to the float scale; the block is the code byte followed by the packed pairs.
template <int kBlock, typename Decode>
void QuantizeBlock(const float* x, const float* w, int first_code, int last_code, int rule_code, Decode decode,
                   uint8_t* block) {
  block[0] = static_cast<uint8_t>(rule_code);
  double best = EncodePairs(x, w, kBlock, decode(rule_code), block + 1);
  if (w == nullptr) return;
  uint8_t trial[kBlock / 2];
  for (int code = first_code; code <= last_code; ++code) {
    if (code == rule_code) continue;
    const double err = EncodePairs(x, w, kBlock, decode(code), trial);
    if (err < best) {
      best = err;
      block[0] = static_cast<uint8_t>(code);
      std::memcpy(block + 1, trial, kBlock / 2);
    }
  }
}

// The NVFP4 rule's E4M3 scale code (positive codes 0 .. 0x7e increase with their value).
int Nvfp4RuleCode(float amax, float tensor_scale) {
  if (!(amax > 0.0f)) return 0;
  return std::max<int>(FloatToE4M3(amax / (6.0f * tensor_scale)), 1);
}

}  // namespace

void DequantizeMxfp4Row(const void* src, float* dst, int64_t n) {
  MIXQ_CHECK(n % kMxfp4Block == 0);
  const uint8_t* block = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kMxfp4Block; ++b, block += kMxfp4BlockBytes, dst += kMxfp4Block)
    DecodePairs(block + 1, kMxfp4Block, E8M0ToFloat(block[0]), dst);
}

void QuantizeMxfp4Row(const float* src, void* dst, int64_t n, const float* importance) {
  MIXQ_CHECK(n % kMxfp4Block == 0);
  uint8_t* block = static_cast<uint8_t*>(dst);
  float scratch[kMxfp4Block];
  const auto decode = [](int code) { return E8M0ToFloat(static_cast<uint8_t>(code)); };
  for (int64_t b = 0; b < n / kMxfp4Block; ++b, block += kMxfp4BlockBytes) {
    const float* x = src + b * kMxfp4Block;
    const float* w = importance ? GroupWeights(importance, b * kMxfp4Block, kMxfp4Block, scratch) : nullptr;
    const int rule = MxSharedExponent(AbsMax(x, kMxfp4Block)) + 127;  // 0 .. 254
    QuantizeBlock<kMxfp4Block>(x, w, std::max(rule - 1, 0), std::min(rule + 1, 254), rule, decode, block);
  }
}

float Nvfp4TensorScale(const float* x, int64_t n) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax > 0.0f ? amax / (6.0f * kE4M3Max) : 1.0f;
}

void DequantizeNvfp4RowScaled(const void* src, float* dst, int64_t n, float tensor_scale) {
  MIXQ_CHECK(n % kNvfp4Block == 0);
  const uint8_t* block = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kNvfp4Block; ++b, block += kNvfp4BlockBytes, dst += kNvfp4Block)
    DecodePairs(block + 1, kNvfp4Block, tensor_scale * E4M3ToFloat(block[0]), dst);
}

void QuantizeNvfp4RowScaled(const float* src, void* dst, int64_t n, float tensor_scale, const float* importance) {
  MIXQ_CHECK(n % kNvfp4Block == 0 && tensor_scale > 0.0f);
  uint8_t* block = static_cast<uint8_t*>(dst);
  float scratch[kNvfp4Block];
  const auto decode = [tensor_scale](int code) { return tensor_scale * E4M3ToFloat(static_cast<uint8_t>(code)); };
  for (int64_t b = 0; b < n / kNvfp4Block; ++b, block += kNvfp4BlockBytes) {
    const float* x = src + b * kNvfp4Block;
    const float* w = importance ? GroupWeights(importance, b * kNvfp4Block, kNvfp4Block, scratch) : nullptr;
    const int rule = Nvfp4RuleCode(AbsMax(x, kNvfp4Block), tensor_scale);
    QuantizeBlock<kNvfp4Block>(x, w, std::max(rule - 4, 1), std::min(rule + 4, 0x7e), rule, decode, block);
  }
}

void DequantizeNvfp4Row(const void* src, float* dst, int64_t n) { DequantizeNvfp4RowScaled(src, dst, n, 1.0f); }

void QuantizeNvfp4Row(const float* src, void* dst, int64_t n, const float* importance) {
  QuantizeNvfp4RowScaled(src, dst, n, 1.0f, importance);
}

}  // namespace mixq::research
