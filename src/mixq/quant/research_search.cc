#include "mixq/quant/research_search.h"

#include <algorithm>
#include <cmath>

#include "mixq/base/half.h"

namespace mixq::research {

const float* GroupWeights(const float* importance, int64_t offset, int64_t n, float* scratch) {
  if (importance != nullptr) {
    const float* w = importance + offset;
    for (int64_t i = 0; i < n; ++i)
      if (w[i] > 0.0f) return w;
  }
  std::fill(scratch, scratch + n, 1.0f);
  return scratch;
}

double WeightedSquaredError(const float* a, const float* b, const float* w, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += (w != nullptr ? static_cast<double>(w[i]) : 1.0) * d * d;
  }
  return sum;
}

float FitScale(const float* x, const float* v, const float* w, int64_t n) {
  double xv = 0.0, vv = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    xv += static_cast<double>(w[i]) * x[i] * v[i];
    vv += static_cast<double>(w[i]) * v[i] * v[i];
  }
  return vv > 0.0 ? static_cast<float>(xv / vv) : 0.0f;
}

bool FitScaleOffset(const float* x, const float* u, const float* w, int64_t n, float* d, float* m) {
  // Normal equations [suu su; su s1] [d; m] = [sxu; sx].
  double s1 = 0, su = 0, suu = 0, sx = 0, sxu = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double wi = w[i];
    s1 += wi;
    su += wi * u[i];
    suu += wi * u[i] * u[i];
    sx += wi * x[i];
    sxu += wi * x[i] * u[i];
  }
  const double det = suu * s1 - su * su;
  if (!(det > 1e-12 * suu * s1)) return false;  // all u equal (or no weight): no slope
  *d = static_cast<float>((sxu * s1 - su * sx) / det);
  *m = static_cast<float>((suu * sx - su * sxu) / det);
  return true;
}

namespace {

constexpr float kMaxF16 = 65504.0f;

float ClampToF16Range(float v) {
  if (std::isnan(v)) return 0.0f;
  return std::clamp(v, -kMaxF16, kMaxF16);
}

// The neighbouring f16 bit patterns towards +inf and -inf (finite inputs only).
uint16_t F16Up(uint16_t h) {
  if (h == 0x8000u) return 0x0001u;
  return (h & 0x8000u) ? static_cast<uint16_t>(h - 1) : static_cast<uint16_t>(h + 1);
}
uint16_t F16Down(uint16_t h) {
  if (h == 0x0000u) return 0x8001u;
  return (h & 0x8000u) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h - 1);
}

}  // namespace

uint16_t F16Nearest(float v) { return FloatToF16(ClampToF16Range(v)); }

uint16_t F16AtLeast(float v) {
  v = ClampToF16Range(v);
  uint16_t h = FloatToF16(v);
  if (F16ToFloat(h) < v) h = F16Up(h);
  return h;
}

uint16_t F16AtMost(float v) {
  v = ClampToF16Range(v);
  uint16_t h = FloatToF16(v);
  if (F16ToFloat(h) > v) h = F16Down(h);
  return h;
}

}  // namespace mixq::research
