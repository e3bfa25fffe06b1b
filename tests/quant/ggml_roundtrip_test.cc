// Round-trip error of every ggml-compatible codec on Gaussian, heavy-tailed and outlier-laden
// rows: RMS relative error and per-block maximum error against per-type thresholds, error
// falling with bits, re-quantization stability, and edge-case blocks (no NaN/Inf ever).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/quant/codec.h"

namespace mixq {
namespace {

enum class Dist { kGaussian, kStudentT, kLaplace, kOutliers };
const char* DistName(Dist d) {
  switch (d) {
    case Dist::kGaussian: return "gaussian";
    case Dist::kStudentT: return "student-t3";
    case Dist::kLaplace: return "laplace";
    case Dist::kOutliers: return "outliers";
  }
  return "?";
}

// n samples: N(0,1); Student-t with 3 degrees of freedom (heavy tails: kurtosis is infinite);
// Laplace(0,1); or N(0,1) with one element in 64 multiplied by 40 (activation-style outliers).
std::vector<float> Generate(Dist dist, int64_t n, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    float v = rng.Normal();
    if (dist == Dist::kStudentT) {
      float chi2 = 0;
      for (int k = 0; k < 3; ++k) chi2 += rng.Normal() * rng.Normal();
      v = v / std::sqrt(std::max(chi2, 1e-6f) / 3.0f);
    } else if (dist == Dist::kLaplace) {
      const float u = rng.Uniform() - 0.5f;
      v = (u < 0 ? 1.0f : -1.0f) * std::log(std::max(1.0f - 2.0f * std::fabs(u), 1e-7f));
    } else if (dist == Dist::kOutliers && rng.NextU64() % 64 == 0) {
      v *= 40.0f;
    }
    x[static_cast<size_t>(i)] = v;
  }
  return x;
}

std::vector<float> RoundTrip(DType type, const std::vector<float>& x, const float* importance = nullptr) {
  const QuantCodec* codec = FindQuantCodec(type);
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> blocks(*DTypeBytes(type, n));
  codec->quantize_row(x.data(), blocks.data(), n, importance);
  std::vector<float> y(x.size());
  codec->dequantize_row(blocks.data(), y.data(), n);
  return y;
}

double RmsRelativeError(const std::vector<float>& x, const std::vector<float>& y) {
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    den += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(num / den);
}

// max over blocks of max_i |x_i - y_i| / max_i |x_i| (per block of the type).
double MaxBlockRelativeError(const std::vector<float>& x, const std::vector<float>& y, int64_t block) {
  double worst = 0;
  for (size_t b = 0; b < x.size(); b += static_cast<size_t>(block)) {
    double amax = 0, emax = 0;
    for (size_t i = b; i < b + static_cast<size_t>(block); ++i) {
      amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
      emax = std::max(emax, std::fabs(static_cast<double>(x[i]) - y[i]));
    }
    worst = std::max(worst, emax / amax);
  }
  return worst;
}

// Per-type thresholds, about 10% above what mixq's quantizers measured when written (the
// measured values are in docs/formats.md), so a regression in the parameter search fails.
// rms: RMS error relative to the RMS of x, per distribution; max_rel: the largest error in a
// block relative to the block's largest |x|. Q8_0/Q8_K have an exact bound: RTN with
// d = f16(amax / 127) errs by at most d / 2 = amax / 254 (plus f16's relative 2^-11 on d).
struct Bounds {
  DType type;
  double rms[4];  // gaussian, student-t3, laplace, outliers
  double max_rel;
};

constexpr double kQ8MaxRel = 0.5 / 127 * (1 + 1.0 / 1024);
const Bounds kBounds[] = {
    {DType::kQ4_0, {0.089, 0.077, 0.113, 0.109}, 0.19},
    {DType::kQ4_1, {0.078, 0.072, 0.092, 0.097}, 0.16},
    {DType::kQ5_0, {0.044, 0.038, 0.057, 0.084}, 0.08},
    {DType::kQ5_1, {0.038, 0.035, 0.045, 0.055}, 0.07},
    {DType::kQ8_0, {0.0059, 0.0055, 0.0075, 0.0132}, kQ8MaxRel},
    {DType::kIQ4_NL, {0.081, 0.074, 0.094, 0.104}, 0.17},
    {DType::kQ2_K, {0.291, 0.275, 0.322, 0.156}, 0.55},
    {DType::kQ3_K, {0.158, 0.132, 0.186, 0.097}, 0.29},
    {DType::kQ4_K, {0.078, 0.072, 0.092, 0.094}, 0.12},
    {DType::kQ5_K, {0.039, 0.037, 0.046, 0.056}, 0.06},
    {DType::kQ6_K, {0.019, 0.016, 0.023, 0.037}, 0.027},
    {DType::kQ8_K, {0.0078, 0.0074, 0.0112, 0.0296}, kQ8MaxRel},
};

const Bounds& BoundsOf(DType type) {
  for (const Bounds& b : kBounds)
    if (b.type == type) return b;
  std::abort();
}

class GgmlRoundTrip : public ::testing::TestWithParam<Bounds> {};

TEST_P(GgmlRoundTrip, ErrorWithinTypeBounds) {
  const Bounds& bounds = GetParam();
  const int64_t block = GetDTypeInfo(bounds.type).block_size;
  for (Dist dist : {Dist::kGaussian, Dist::kStudentT, Dist::kLaplace, Dist::kOutliers}) {
    Rng rng(7);
    const std::vector<float> x = Generate(dist, 64 * 1024, rng);
    const std::vector<float> y = RoundTrip(bounds.type, x);
    const double rms = RmsRelativeError(x, y), max_rel = MaxBlockRelativeError(x, y, block);
    EXPECT_LE(rms, bounds.rms[static_cast<int>(dist)]) << DTypeName(bounds.type) << " " << DistName(dist);
    EXPECT_LE(max_rel, bounds.max_rel) << DTypeName(bounds.type) << " " << DistName(dist);
  }
}

// Re-quantizing dequantized values: every value is on the first quantization's grid, so a
// symmetric single-scale type finds that grid again and reproduces the values exactly. The
// K-quants and the offset types re-derive their sub-block parameters from a narrower sample
// of their grid, so they are only required to stay within a fraction of a step.
TEST_P(GgmlRoundTrip, RequantizingDequantizedValuesIsStable) {
  const DType type = GetParam().type;
  Rng rng(3);
  const std::vector<float> x = Generate(Dist::kGaussian, 16 * 1024, rng);
  const std::vector<float> y = RoundTrip(type, x);
  const std::vector<float> y2 = RoundTrip(type, y);
  const bool exact = type == DType::kQ4_0 || type == DType::kQ5_0 || type == DType::kQ8_0 ||
                     type == DType::kIQ4_NL || type == DType::kQ8_K;
  if (exact) {
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y2[i], y[i]) << DTypeName(type) << " element " << i;
  } else {
    EXPECT_LE(RmsRelativeError(y, y2), 0.5 * RmsRelativeError(x, y)) << DTypeName(type);
  }
}

// Blocks that break naive quantizers: no NaN or Inf ever, zeros stay zeros, constants stay
// (to f16 precision), outliers keep their magnitude, out-of-f16-range values saturate.
TEST_P(GgmlRoundTrip, EdgeCaseBlocks) {
  const DType type = GetParam().type;
  const int64_t n = 512;
  Rng rng(5);
  auto fill = [&](auto f) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = f(i);
    return x;
  };
  auto all_finite = [](const std::vector<float>& y) {
    return std::all_of(y.begin(), y.end(), [](float v) { return std::isfinite(v); });
  };
  const std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
  EXPECT_EQ(RoundTrip(type, zeros), zeros) << DTypeName(type);
  for (const float c : {0.37f, -2.5f, 1000.0f}) {
    const std::vector<float> y = RoundTrip(type, fill([&](int64_t) { return c; }));
    for (float v : y) ASSERT_NEAR(v, c, std::fabs(c) * 2e-3) << DTypeName(type) << " constant " << c;
  }
  const std::vector<float> negative = fill([&](int64_t) { return -3.0f + 0.5f * rng.Normal(); });
  const std::vector<float> y_neg = RoundTrip(type, negative);
  EXPECT_TRUE(all_finite(y_neg));
  EXPECT_LE(RmsRelativeError(negative, y_neg), BoundsOf(type).rms[0]) << DTypeName(type) << " negative-only";

  std::vector<float> outlier = fill([&](int64_t) { return rng.Normal(); });
  outlier[37] = 1e4f;
  outlier[300] = -3e4f;
  const std::vector<float> y_out = RoundTrip(type, outlier);
  EXPECT_TRUE(all_finite(y_out));
  EXPECT_NEAR(y_out[37], 1e4f, 0.25e4f) << DTypeName(type);
  EXPECT_NEAR(y_out[300], -3e4f, 0.75e4f) << DTypeName(type);

  for (const float scale : {1e-9f, 1e-30f, 1e6f, 1e30f}) {
    const std::vector<float> x = fill([&](int64_t) { return scale * rng.Normal(); });
    EXPECT_TRUE(all_finite(RoundTrip(type, x))) << DTypeName(type) << " scale " << scale;
    EXPECT_TRUE(all_finite(RoundTrip(type, x, x.data()))) << DTypeName(type) << " scale " << scale;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgmlRoundTrip, ::testing::ValuesIn(kBounds),
                         [](const auto& info) { return std::string(DTypeName(info.param.type)); });

// More bits, less error: on the same Gaussian rows the RMS error falls strictly along each
// family, and IQ4_NL's non-linear codebook beats Q4_0's uniform grid at the same 4.5 bpw.
TEST(GgmlRoundTrip, ErrorFallsWithBits) {
  Rng rng(9);
  const std::vector<float> x = Generate(Dist::kGaussian, 64 * 1024, rng);
  auto rms = [&](DType t) { return RmsRelativeError(x, RoundTrip(t, x)); };
  const DType k_chain[] = {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_0};
  for (size_t i = 0; i + 1 < std::size(k_chain); ++i)
    EXPECT_GT(rms(k_chain[i]), rms(k_chain[i + 1])) << DTypeName(k_chain[i]) << " vs " << DTypeName(k_chain[i + 1]);
  EXPECT_GT(rms(DType::kQ4_0), rms(DType::kQ5_0));
  EXPECT_GT(rms(DType::kQ4_1), rms(DType::kQ5_1));
  EXPECT_GT(rms(DType::kQ5_0), rms(DType::kQ8_0));
  EXPECT_GT(rms(DType::kQ4_0), rms(DType::kQ4_1));  // an offset helps at the same nibble count
  EXPECT_GT(rms(DType::kQ4_0), rms(DType::kIQ4_NL));
}

}  // namespace
}  // namespace mixq
