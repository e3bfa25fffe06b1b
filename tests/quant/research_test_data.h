// Test data shared by the research-format tests: seeded Gaussian, heavy-tailed and
// outlier-laden rows, shifted rows, importance vectors, and codec round trips.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/quant/codec.h"

namespace mixq::research::testdata {

enum class Dist { kGaussian, kHeavyTailed, kOutliers };

inline const char* DistName(Dist d) {
  return d == Dist::kGaussian ? "gaussian" : d == Dist::kHeavyTailed ? "heavy-tailed" : "outliers";
}

// n values: N(0, sigma^2); Student-t with 3 degrees of freedom (times sigma); or N(0, sigma^2)
// with 1 % of the values multiplied by 20.
inline std::vector<float> Sample(Dist dist, int64_t n, uint64_t seed, float sigma = 1.0f, float shift = 0.0f) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) {
    float g = rng.Normal();
    if (dist == Dist::kHeavyTailed) {
      float chi2 = 0.0f;
      for (int k = 0; k < 3; ++k) {
        const float z = rng.Normal();
        chi2 += z * z;
      }
      g /= std::sqrt(chi2 / 3.0f);
    } else if (dist == Dist::kOutliers && rng.Uniform() < 0.01f) {
      g *= 20.0f;
    }
    v = sigma * g + shift;
  }
  return x;
}

// Log-normal per-element weights, like the spread of activation energies across channels.
inline std::vector<float> Importance(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(static_cast<size_t>(n));
  for (float& v : w) v = std::exp(1.5f * rng.Normal());
  return w;
}

// Quantizes x with the type's codec (importance may be null) and dequantizes it again; the
// quantized bytes go to *bytes when given.
inline std::vector<float> RoundTrip(DType type, const std::vector<float>& x, const float* importance,
                                    std::vector<uint8_t>* bytes = nullptr) {
  const QuantCodec* codec = FindQuantCodec(type);
  EXPECT_NE(codec, nullptr);
  std::vector<uint8_t> q(*DTypeBytes(type, static_cast<int64_t>(x.size())));
  codec->quantize_row(x.data(), q.data(), static_cast<int64_t>(x.size()), importance);
  std::vector<float> y(x.size());
  codec->dequantize_row(q.data(), y.data(), static_cast<int64_t>(x.size()));
  if (bytes) *bytes = q;
  return y;
}

inline double Rmse(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(sum / static_cast<double>(a.size()));
}

inline double WeightedSse(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& w) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += w[i] * (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return sum;
}

}  // namespace mixq::research::testdata
