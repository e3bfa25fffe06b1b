#include "mixq/quant/research_fp8.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/status.h"
#include "mixq/quant/research_search.h"

namespace mixq::research {

namespace {

// The value of every code, computed at compile time from the definition (decoding is a lookup,
// which the dequantizers in the matmul path need to be).
constexpr std::array<float, 256> MakeE4M3Values() {
  std::array<float, 256> values{};
  for (int code = 0; code < 256; ++code) {
    const int e = (code >> 3) & 0xf, m = code & 0x7;
    float v;
    if (e == 0xf && m == 0x7) {
      v = std::numeric_limits<float>::quiet_NaN();
    } else if (e == 0) {
      v = static_cast<float>(m) / 512.0f;  // m/8 * 2^-6
    } else {
      v = static_cast<float>(8 + m);       // (1 + m/8) * 2^(e-7) = (8 + m) * 2^(e-10)
      for (int k = e - 10; k > 0; --k) v *= 2.0f;
      for (int k = e - 10; k < 0; ++k) v *= 0.5f;
    }
    values[code] = (code & 0x80) ? -v : v;
  }
  return values;
}
constexpr std::array<float, 256> kE4M3Values = MakeE4M3Values();

}  // namespace

float E4M3ToFloat(uint8_t code) { return kE4M3Values[code]; }

uint8_t FloatToE4M3(float x) {
  if (std::isnan(x)) return kE4M3NaN;
  const uint8_t sign = std::signbit(x) ? 0x80u : 0x00u;
  const float a = std::fabs(x);
  if (a >= kE4M3Max) return sign | 0x7eu;
  if (a < 0x1p-6f) {  // subnormal range: multiples of 2^-9 (8 rounds up into the first normal)
    return sign | static_cast<uint8_t>(RoundHalfEven(a * 512.0f));
  }
  // Normal: round the float's 23-bit mantissa to 3 bits, ties to even; a carry out of the
  // mantissa increments the exponent, which is exactly the next E4M3 code.
  uint32_t bits;
  std::memcpy(&bits, &a, 4);
  const uint32_t rounded = (bits + 0x7ffffu + ((bits >> 20) & 1u)) >> 20;  // (exp << 3) | mant
  const uint32_t code = rounded - ((127u - 7u) << 3);
  return sign | static_cast<uint8_t>(std::min<uint32_t>(code, 0x7eu));
}

namespace {

constexpr int kMaxGroup = 128;
constexpr float kMinF16Scale = 0x1p-14f;  // smallest normal f16

// sum_i w_i * (x_i - s * e4m3(x_i / s))^2 and the codes.
double EncodeWithScale(const float* x, const float* w, int64_t n, float s, uint8_t* codes) {
  double err = 0.0;
  const float inv = s > 0.0f ? 1.0f / s : 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    codes[i] = FloatToE4M3(x[i] * inv);
    const double e = static_cast<double>(x[i]) - s * E4M3ToFloat(codes[i]);
    err += (w ? w[i] : 1.0) * e * e;
  }
  return err;
}

float AbsMax(const float* x, int64_t n) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

// The scale stored for an f16-scaled group: rounded up so no element saturates, and kept in
// f16's normal range. A zero group keeps scale 0 (all codes +0).
uint16_t StoredF16Scale(float s) { return s > 0.0f ? F16AtLeast(std::max(s, kMinF16Scale)) : 0; }

// The best of the RTN scale and the searched ones (header comment) for one group.
template <typename StoreScale>
float ChooseScale(const float* x, const float* w, int n, float rtn_scale, StoreScale store, uint8_t* codes) {
  float best_s = store(rtn_scale);
  if (w == nullptr || best_s == 0.0f) {
    EncodeWithScale(x, nullptr, n, best_s, codes);
    return best_s;
  }
  double best_err = EncodeWithScale(x, w, n, best_s, codes);
  uint8_t trial[kMaxGroup];
  for (int k = -4; k <= 15; ++k) {
    const float s = store(rtn_scale * std::exp2(static_cast<float>(k) / 16.0f));
    const double err = EncodeWithScale(x, w, n, s, trial);
    if (err < best_err) {
      best_err = err;
      best_s = s;
      std::memcpy(codes, trial, static_cast<size_t>(n));
    }
  }
  return best_s;
}

}  // namespace

void DequantizeFp8GroupRow(int group, const void* src, float* dst, int64_t n) {
  MIXQ_CHECK(group > 0 && n % group == 0);
  const uint8_t* block = static_cast<const uint8_t*>(src);
  for (int64_t g = 0; g < n / group; ++g, block += 2 + group, dst += group) {
    uint16_t sh;
    std::memcpy(&sh, block, 2);
    const float s = F16ToFloat(sh);
    for (int i = 0; i < group; ++i) dst[i] = s * E4M3ToFloat(block[2 + i]);
  }
}

void QuantizeFp8GroupRow(int group, const float* src, void* dst, int64_t n, const float* importance) {
  MIXQ_CHECK(group > 0 && group <= kMaxGroup && n % group == 0);
  uint8_t* block = static_cast<uint8_t*>(dst);
  float scratch[kMaxGroup];
  const auto store = [](float s) { return F16ToFloat(StoredF16Scale(s)); };
  for (int64_t g = 0; g < n / group; ++g, block += 2 + group) {
    const float* x = src + g * group;
    const float* w = importance ? GroupWeights(importance, g * group, group, scratch) : nullptr;
    const float s = ChooseScale(x, w, group, AbsMax(x, group) / kE4M3Max, store, block + 2);
    const uint16_t sh = StoredF16Scale(s);  // s is already an f16 value: exact
    std::memcpy(block, &sh, 2);
  }
}

void DequantizeFp8ChannelRow(const void* src, float* dst, int64_t n) {
  MIXQ_CHECK(n % kFp8ChannelBlock == 0);
  const uint8_t* block = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kFp8ChannelBlock; ++b, block += 4 + kFp8ChannelBlock, dst += kFp8ChannelBlock) {
    float s;
    std::memcpy(&s, block, 4);
    for (int i = 0; i < kFp8ChannelBlock; ++i) dst[i] = s * E4M3ToFloat(block[4 + i]);
  }
}

void QuantizeFp8ChannelRow(const float* src, void* dst, int64_t n, const float* importance) {
  MIXQ_CHECK(n % kFp8ChannelBlock == 0);
  // One scale for the whole row: the search runs over the row (its weighted error summed over
  // every block), then every block is encoded with that scale.
  const float rtn = AbsMax(src, n) / kE4M3Max;
  float best_s = rtn;
  if (importance != nullptr && rtn > 0.0f) {
    std::vector<float> scratch(static_cast<size_t>(n));
    const float* w = GroupWeights(importance, 0, n, scratch.data());
    std::vector<uint8_t> codes(static_cast<size_t>(n));
    double best_err = EncodeWithScale(src, w, n, rtn, codes.data());
    for (int k = -4; k <= 15; ++k) {
      const float s = rtn * std::exp2(static_cast<float>(k) / 16.0f);
      const double err = EncodeWithScale(src, w, n, s, codes.data());
      if (err < best_err) best_err = err, best_s = s;
    }
  }
  uint8_t* block = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / kFp8ChannelBlock; ++b, block += 4 + kFp8ChannelBlock) {
    std::memcpy(block, &best_s, 4);
    EncodeWithScale(src + b * kFp8ChannelBlock, nullptr, kFp8ChannelBlock, best_s, block + 4);
  }
}

}  // namespace mixq::research
