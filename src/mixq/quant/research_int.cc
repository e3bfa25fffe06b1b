#include "mixq/quant/research_int.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mixq/base/half.h"
#include "mixq/base/status.h"
#include "mixq/quant/research_search.h"

namespace mixq::research {
namespace {

constexpr int kMaxGroup = 128;

// Search grid: clipping factors f_k = 2^(k/24), k = kFirst .. kLast (0.92 .. 1.68): the
// candidate grids span range/f_k, from slightly wider than the data to clipping ~40 % of it,
// which is where the weighted optimum lies for 2-bit Gaussian groups.
constexpr int kFirst = -3, kLast = 18;

float ClipFactor(int k) { return std::exp2(static_cast<float>(k) / 24.0f); }

// Parameters of one group as stored: x_e = d * u_e + m (symmetric: m = -zero_code * d).
struct Params {
  uint16_t d = 0, m = 0;  // f16 bit patterns (m unused when symmetric)
};

float OffsetOf(const IntGroupFormat& f, float d, uint16_t m) {
  return f.asym ? F16ToFloat(m) : -static_cast<float>(f.zero_code()) * d;
}

// The codes nearest to x for x ~ d * u + m, clamped to 0 .. max_code; all codes 0 when d == 0
// (symmetric: the zero code).
void AssignCodes(const IntGroupFormat& f, const float* x, int n, float d, float m, uint8_t* u) {
  if (d == 0.0f) {
    std::fill(u, u + n, static_cast<uint8_t>(f.asym ? 0 : f.zero_code()));
    return;
  }
  // Clamping before rounding gives the same codes (the bounds are integers) and keeps the
  // argument small enough for RoundHalfEven.
  const float hi = static_cast<float>(f.max_code()), inv = 1.0f / d;
  for (int i = 0; i < n; ++i) u[i] = static_cast<uint8_t>(RoundHalfEven(std::clamp((x[i] - m) * inv, 0.0f, hi)));
}

// Codes for stored parameters p, then the weighted error those codes and p give.
double Evaluate(const IntGroupFormat& f, const float* x, const float* w, int n, Params p, uint8_t* u) {
  const float d = F16ToFloat(p.d), m = OffsetOf(f, d, p.m);
  AssignCodes(f, x, n, d, m, u);
  double err = 0.0;
  for (int i = 0; i < n; ++i) {
    const double e = static_cast<double>(x[i]) - (d * static_cast<float>(u[i]) + m);
    err += (w ? w[i] : 1.0) * e * e;
  }
  return err;
}

// The literature's RTN parameters (header comment), with directed f16 rounding so that no
// element falls outside the grid.
Params RtnParams(const IntGroupFormat& f, const float* x, int n) {
  Params p;
  if (f.asym) {
    const auto [lo, hi] = std::minmax_element(x, x + n);
    p.m = F16AtMost(*lo);
    p.d = F16AtLeast((*hi - F16ToFloat(p.m)) / static_cast<float>(f.max_code()));
  } else {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    p.d = F16AtLeast(2.0f * amax / static_cast<float>(f.max_code()));
  }
  return p;
}

struct Best {
  Params p;
  double err;
  uint8_t u[kMaxGroup];
};

void Consider(const IntGroupFormat& f, const float* x, const float* w, int n, Params p, Best* best) {
  uint8_t u[kMaxGroup];
  const double err = Evaluate(f, x, w, n, p, u);
  if (err < best->err) {
    best->p = p;
    best->err = err;
    std::memcpy(best->u, u, static_cast<size_t>(n));
  }
}

// Symmetric: the element of largest magnitude xs is put at the long end of the grid (code
// -2^(b-1), d = -xs / t) or at the short end (+2^(b-1) - 1 side, d = xs / t), for t around
// the number of steps on that side times the clipping factors; each candidate's d is then
// refitted by least squares on its codes and rounded to f16.
void SearchSymmetric(const IntGroupFormat& f, const float* x, const float* w, int n, Best* best) {
  int imax = 0;
  for (int i = 1; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(x[imax])) imax = i;
  const float xs = x[imax];
  if (xs == 0.0f) return;
  const float half = static_cast<float>(f.zero_code());
  float c[kMaxGroup];
  uint8_t u[kMaxGroup];
  for (int k = kFirst; k <= kLast; ++k) {
    for (float d0 : {-xs / (half * ClipFactor(k)), xs / ((half - 0.5f) * ClipFactor(k))}) {
      AssignCodes(f, x, n, d0, -half * d0, u);
      for (int i = 0; i < n; ++i) c[i] = static_cast<float>(u[i]) - half;
      Consider(f, x, w, n, {F16Nearest(FitScale(x, c, w, n)), 0}, best);
    }
  }
}

// Asymmetric: grids of range (max - min) / f_k anchored at the minimum, at the maximum or
// centred, each refitted by weighted linear regression (d, m) on its codes, rounded to f16.
void SearchAsymmetric(const IntGroupFormat& f, const float* x, const float* w, int n, Best* best) {
  const auto [lo_it, hi_it] = std::minmax_element(x, x + n);
  const float lo = *lo_it, hi = *hi_it;
  if (hi == lo) return;
  const float steps = static_cast<float>(f.max_code());
  float uf[kMaxGroup];
  uint8_t u[kMaxGroup];
  for (int k = 0; k <= kLast; ++k) {
    const float d0 = (hi - lo) / (steps * ClipFactor(k));
    const float span = steps * d0;
    for (float m0 : {lo, hi - span, 0.5f * (lo + hi - span)}) {
      AssignCodes(f, x, n, d0, m0, u);
      for (int i = 0; i < n; ++i) uf[i] = static_cast<float>(u[i]);
      float d = d0, m = m0;
      FitScaleOffset(x, uf, w, n, &d, &m);
      Consider(f, x, w, n, {F16Nearest(d), F16Nearest(m)}, best);
    }
  }
}

void StoreGroup(const IntGroupFormat& f, Params p, const uint8_t* u, uint8_t* block) {
  std::memcpy(block, &p.d, 2);
  if (f.asym) std::memcpy(block + 2, &p.m, 2);
  PackCodes(u, f.group, f.bits, block + f.header_bytes());
}

}  // namespace

std::optional<IntGroupFormat> IntGroupFormatOf(DType type) {
  for (const IntGroupFormat& f : AllIntGroupFormats())
    if (f.type() == type) return f;
  return std::nullopt;
}

std::vector<IntGroupFormat> AllIntGroupFormats() {
  std::vector<IntGroupFormat> all;
  for (int bits : {2, 3, 4, 5, 6, 8})
    for (int group : {32, 64, 128})
      for (bool asym : {false, true}) all.push_back({bits, group, asym});
  return all;
}

void PackCodes(const uint8_t* codes, int64_t n, int bits, uint8_t* packed) {
  MIXQ_CHECK(n % 8 == 0 && bits >= 1 && bits <= 8);
  for (int64_t i = 0; i < n; i += 8, packed += bits) {
    uint64_t v = 0;  // 8 codes = exactly `bits` bytes of the stream
    for (int j = 0; j < 8; ++j) v |= static_cast<uint64_t>(codes[i + j]) << (j * bits);
    for (int k = 0; k < bits; ++k) packed[k] = static_cast<uint8_t>(v >> (8 * k));
  }
}

void UnpackCodes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes) {
  MIXQ_CHECK(n % 8 == 0 && bits >= 1 && bits <= 8);
  const uint64_t mask = (1u << bits) - 1;
  for (int64_t i = 0; i < n; i += 8, packed += bits) {
    uint64_t v = 0;
    for (int k = 0; k < bits; ++k) v |= static_cast<uint64_t>(packed[k]) << (8 * k);
    for (int j = 0; j < 8; ++j) codes[i + j] = static_cast<uint8_t>((v >> (j * bits)) & mask);
  }
}

void DequantizeIntGroupRow(const IntGroupFormat& f, const void* src, float* dst, int64_t n) {
  MIXQ_CHECK(n % f.group == 0 && f.group <= kMaxGroup);
  const uint8_t* block = static_cast<const uint8_t*>(src);
  uint8_t u[kMaxGroup];
  for (int64_t g = 0; g < n / f.group; ++g, block += f.block_bytes(), dst += f.group) {
    uint16_t dh, mh = 0;
    std::memcpy(&dh, block, 2);
    if (f.asym) std::memcpy(&mh, block + 2, 2);
    const float d = F16ToFloat(dh), m = OffsetOf(f, d, mh);
    UnpackCodes(block + f.header_bytes(), f.group, f.bits, u);
    for (int i = 0; i < f.group; ++i) dst[i] = d * static_cast<float>(u[i]) + m;
  }
}

void QuantizeIntGroupRow(const IntGroupFormat& f, const float* src, void* dst, int64_t n, const float* importance) {
  MIXQ_CHECK(n % f.group == 0 && f.group <= kMaxGroup);
  uint8_t* block = static_cast<uint8_t*>(dst);
  float scratch[kMaxGroup];
  for (int64_t g = 0; g < n / f.group; ++g, block += f.block_bytes()) {
    const float* x = src + g * f.group;
    Best best;
    best.p = RtnParams(f, x, f.group);
    if (importance == nullptr) {
      Evaluate(f, x, nullptr, f.group, best.p, best.u);
    } else {
      const float* w = GroupWeights(importance, g * f.group, f.group, scratch);
      best.err = Evaluate(f, x, w, f.group, best.p, best.u);
      if (f.asym) {
        SearchAsymmetric(f, x, w, f.group, &best);
      } else {
        SearchSymmetric(f, x, w, f.group, &best);
      }
    }
    StoreGroup(f, best.p, best.u, block);
  }
}

}  // namespace mixq::research
