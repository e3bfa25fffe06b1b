// Calibration recovers known efficiency factors from synthetic measurements, and validation
// reports median / worst errors on held-out ones.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.h"
#include "mixq/forecast/calibrate.h"
#include "mixq/forecast/least_squares.h"

namespace mixq::forecast {
namespace {

using testing::MidConfig;
using testing::RoundDevice;
using testing::SevenBConfig;
using testing::SmallConfig;
using testing::Spec;

Device TrueDevice() {
  Device d = RoundDevice();
  d.caches = {{"L3", 32e6, 400e9}};
  d.efficiency = {{{0.62, 0.81}, {0.35, 0.55}, {0.28, 0.66}, {1.0, 0.7}}};
  d.overhead_per_op = 4e-6;
  return d;
}

// 3 shapes x 4 weight types x 2 context lengths x {prefill, decode}, "measured" on `truth`
// with a deterministic relative error of up to `noise`; every third configuration held out.
std::vector<Measurement> Synthetic(const Device& truth, double noise) {
  std::vector<Measurement> out;
  int index = 0;
  for (const ModelConfig& config : {SmallConfig(), MidConfig(), SevenBConfig()}) {
    for (DType type : {DType::kF32, DType::kF16, DType::kQ8_0, DType::kQ4_0}) {
      for (int64_t context : {128, 1024}) {
        for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
          Measurement m;
          m.model = Spec(config, type);
          m.phase = phase;
          m.tokens = phase == Phase::kPrefill ? context : 32;
          m.depth = phase == Phase::kPrefill ? 0 : context;
          m.label = std::to_string(config.dim) + " " + DTypeName(type) + " " + PhaseName(phase) + std::to_string(context);
          m.holdout = index % 3 == 2;
          const double wobble = noise * std::sin(1.7 * index + 0.3);  // fixed, in [-noise, noise]
          m.seconds = PredictMeasurement(m, truth).seconds * (1 + wobble);
          out.push_back(m);
          ++index;
        }
      }
    }
  }
  return out;
}

TEST(Calibrate, RecoversKnownFactorsFromExactMeasurements) {
  const Device truth = TrueDevice();
  Device start = truth;
  start.efficiency = DefaultEfficiencies("cpu");
  start.overhead_per_op = 0;
  CalibrationOptions options;
  options.prior_weight = 1e-9;
  options.parameters = {"matmul.compute",      "matmul.memory",      "attention.compute", "attention.memory",
                        "elementwise.compute", "elementwise.memory", "data.memory",       "overhead.per_op"};
  Result<CalibrationResult> fit = Calibrate(start, Synthetic(truth, 0), options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_TRUE(fit->converged) << fit->iterations;
  EXPECT_TRUE(fit->device.calibrated);
  const Device& d = fit->device;
  const int mm = static_cast<int>(OpClass::kMatmul), at = static_cast<int>(OpClass::kAttention);
  EXPECT_NEAR(d.efficiency[mm].compute, 0.62, 0.62e-3);
  EXPECT_NEAR(d.efficiency[mm].memory, 0.81, 0.81e-3);
  EXPECT_NEAR(d.efficiency[at].memory, 0.55, 0.55e-2);
  EXPECT_NEAR(d.overhead_per_op, 4e-6, 4e-8);
  ValidationReport report = ValidateForecasts(d, Synthetic(truth, 0));
  EXPECT_LT(report.all.max_ape, 0.1);
  EXPECT_EQ(report.all.count, 48);
  EXPECT_EQ(report.holdout.count, 16);
}

// Each weight type's kernel reaches its own fraction of peak: per-type matmul factors
// (Device::matmul_type_efficiency) are recovered from exact measurements, and types without an
// entry keep the class factors.
TEST(Calibrate, RecoversPerWeightTypeMatmulFactors) {
  Device truth = TrueDevice();
  truth.matmul_type_efficiency["q4_0"] = {0.21, 0.52};
  truth.matmul_type_efficiency["q8_0"] = {0.33, 0.74};
  Device start = TrueDevice();  // elementwise and data factors as the truth's: not fitted here
  for (OpClass c : {OpClass::kMatmul, OpClass::kAttention})
    start.efficiency[static_cast<int>(c)] = DefaultEfficiencies("cpu")[static_cast<int>(c)];
  start.overhead_per_op = 0;
  CalibrationOptions options;
  options.prior_weight = 1e-9;
  options.parameters = {"matmul.compute", "matmul.memory", "matmul.q4_0.compute", "matmul.q4_0.memory",
                        "matmul.q8_0.compute", "matmul.q8_0.memory", "attention.compute", "attention.memory",
                        "overhead.per_op"};
  Result<CalibrationResult> fit = Calibrate(start, Synthetic(truth, 0), options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  const Device& d = fit->device;
  const int mm = static_cast<int>(OpClass::kMatmul);
  EXPECT_NEAR(d.efficiency[mm].compute, 0.62, 0.62e-3);
  EXPECT_NEAR(d.matmul_type_efficiency.at("q4_0").compute, 0.21, 0.21e-3);
  EXPECT_NEAR(d.matmul_type_efficiency.at("q4_0").memory, 0.52, 0.52e-3);
  EXPECT_NEAR(d.matmul_type_efficiency.at("q8_0").compute, 0.33, 0.33e-3);
  EXPECT_NEAR(d.matmul_type_efficiency.at("q8_0").memory, 0.74, 0.74e-3);
  EXPECT_EQ(d.matmul_type_efficiency.count("f32"), 0u);
  // The factors survive the device file.
  Result<Device> back = ParseDevice(DeviceToJson(d), "<fitted>");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_DOUBLE_EQ(back->matmul_type_efficiency.at("q4_0").compute, d.matmul_type_efficiency.at("q4_0").compute);
  EXPECT_FALSE(Calibrate(start, Synthetic(truth, 0), {{"matmul.nosuchtype.compute"}}).ok());
}

TEST(Calibrate, NoisyMeasurementsStillValidateOnHeldOut) {
  const Device truth = TrueDevice();
  Device start = truth;
  start.efficiency = DefaultEfficiencies("cpu");
  std::vector<Measurement> data = Synthetic(truth, 0.04);
  ValidationReport before = ValidateForecasts(start, data);
  Result<CalibrationResult> fit = Calibrate(start, data);
  ASSERT_TRUE(fit.ok()) << fit.message();
  ValidationReport after = ValidateForecasts(fit->device, data);
  EXPECT_LT(after.holdout.median_ape, 4.0);
  EXPECT_LT(after.holdout.max_ape, 8.0);
  EXPECT_LT(after.holdout.median_ape, before.holdout.median_ape);
}

TEST(Calibrate, ParametersNotFittedKeepTheirValues) {
  const Device truth = TrueDevice();
  Device start = truth;
  start.efficiency[static_cast<int>(OpClass::kMatmul)].memory = 0.5;
  CalibrationOptions options;
  options.parameters = {"matmul.memory"};
  Result<CalibrationResult> fit = Calibrate(start, Synthetic(truth, 0), options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  EXPECT_NEAR(fit->device.efficiency[static_cast<int>(OpClass::kMatmul)].memory, 0.81, 1e-3);
  EXPECT_EQ(fit->device.efficiency[static_cast<int>(OpClass::kAttention)].compute, truth.efficiency[1].compute);
  EXPECT_EQ(fit->device.overhead_per_op, truth.overhead_per_op);
}

TEST(Calibrate, Errors) {
  std::vector<Measurement> data = Synthetic(TrueDevice(), 0);
  CalibrationOptions bad;
  bad.parameters = {"matmul.speed"};
  EXPECT_NE(Calibrate(RoundDevice(), data, bad).message().find("'matmul.speed'"), std::string::npos);
  for (Measurement& m : data) m.holdout = true;
  EXPECT_NE(Calibrate(RoundDevice(), data).message().find("no training"), std::string::npos);
  data[0].seconds = 0;
  EXPECT_NE(Calibrate(RoundDevice(), data).message().find(data[0].label), std::string::npos);
}

TEST(LeastSquares, BoundsAndRidge) {
  // y = 2 x exactly, but x is capped at 1.5.
  BoundedRidgeProblem p;
  p.a = {{1}, {2}, {3}};
  p.b = {2, 4, 6};
  p.prior = {1};
  p.ridge = {0};
  p.lower = {0};
  p.upper = {10};
  EXPECT_NEAR(SolveBoundedRidge(p)[0], 2.0, 1e-12);
  p.upper = {1.5};
  EXPECT_DOUBLE_EQ(SolveBoundedRidge(p)[0], 1.5);
  // Two collinear columns: the ridge splits them towards the prior.
  p.a = {{1, 1}, {2, 2}};
  p.b = {2, 4};
  p.prior = {1, 1};
  p.ridge = {1e-6, 1e-6};
  p.lower = {0, 0};
  p.upper = {10, 10};
  std::vector<double> x = SolveBoundedRidge(p);
  EXPECT_NEAR(x[0] + x[1], 2.0, 1e-5);
  EXPECT_NEAR(x[0], x[1], 1e-9);
}

TEST(Validation, MedianAndWorst) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Median({4, 1, 2, 3}), 2.5);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

}  // namespace
}  // namespace mixq::forecast
