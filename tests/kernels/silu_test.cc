// SiluMulF32: every SIMD ISA against the scalar specification (libm expf). The bound is derived
// in kernels/silu_simd.h: the SIMD result is within 5.5u of the exact g / (1 + e^-g) * up and
// the specification within 4.004u (glibc's expf is within 0.502 ulp), u = 2^-24, so the two
// differ by at most 9.5u relative to the result; nothing cancels, so no absolute term is
// needed above the subnormal range. Where the specification's result is exactly determined
// (exp(-g) rounds to 1, 1 + exp(-g) to 1 or inf, or an operand is inf / NaN / zero) the SIMD
// kernels must give the same bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"

namespace mixq {
namespace {

constexpr double kUnit = 0x1p-24;
constexpr double kVsSpecBound = 9.5;   // in units of u relative to the result (silu_simd.h)
constexpr double kVsExactBound = 5.5;  // the same, SIMD against the exact value
constexpr double kSubnormalSlack = 0x1p-148;  // two subnormal steps, where the product underflows
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<Isa> SimdIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
    if (IsaSupported(isa)) isas.push_back(isa);
  return isas;
}

// |got - want| / (u |want|): 0 when bit-identical, infinite when a NaN, inf or zero differs.
double ErrorInUnits(float got, float want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0.0 : kInf;
  if (std::bit_cast<uint32_t>(got) == std::bit_cast<uint32_t>(want)) return 0.0;
  if (!std::isfinite(want) || !std::isfinite(got)) return kInf;
  return std::fabs(static_cast<double>(got) - want) / (kUnit * std::fabs(want) + kSubnormalSlack);
}

double ExactSiluTimes(float g, float up) { return g / (1.0 + std::exp(-static_cast<double>(g))) * up; }

struct Observed {
  double vs_spec = 0, vs_exact = 0;  // largest errors seen, in units of u
};

// Runs the specification and `isa` on copies of gate; asserts the bounds and that nothing past
// n is written.
void ExpectMatchesSpec(Isa isa, const std::vector<float>& gate, const std::vector<float>& up, Observed* seen) {
  const int64_t n = static_cast<int64_t>(gate.size());
  constexpr float kSentinel = 1234.5f;
  std::vector<float> spec = gate, got = gate;
  got.resize(gate.size() + 16, kSentinel);
  SiluMulF32(Isa::kRef, spec.data(), up.data(), n);
  SiluMulF32(isa, got.data(), up.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double vs_spec = ErrorInUnits(got[i], spec[i]);
    ASSERT_LE(vs_spec, kVsSpecBound) << IsaName(isa) << " n=" << n << " i=" << i << " g=" << gate[i] << " up=" << up[i]
                                    << ": " << got[i] << " vs specification " << spec[i];
    seen->vs_spec = std::max(seen->vs_spec, vs_spec);
    if (std::isfinite(spec[i]) && std::isfinite(std::exp(-gate[i]))) {  // where f32 can follow the exact value
      const double exact = ExactSiluTimes(gate[i], up[i]);
      const double vs_exact = std::fabs(got[i] - exact) / (kUnit * std::fabs(exact) + kSubnormalSlack);
      ASSERT_LE(vs_exact, kVsExactBound) << IsaName(isa) << " g=" << gate[i] << " up=" << up[i] << ": " << got[i]
                                        << " vs exact " << exact;
      seen->vs_exact = std::max(seen->vs_exact, vs_exact);
    }
  }
  for (size_t i = gate.size(); i < got.size(); ++i) ASSERT_EQ(got[i], kSentinel) << IsaName(isa) << " wrote past n=" << n;
}

void Report(Isa isa, const Observed& seen) {
  ::testing::Test::RecordProperty(std::string(IsaName(isa)) + "_max_error_in_u_vs_spec", std::to_string(seen.vs_spec));
  ::testing::Test::RecordProperty(std::string(IsaName(isa)) + "_max_error_in_u_vs_exact", std::to_string(seen.vs_exact));
}

TEST(SiluMul, SimdMatchesSpecificationOnTailsAndRanges) {
  if (SimdIsas().empty()) GTEST_SKIP() << "CPU has no SIMD ISA";
  Rng rng(11);
  for (Isa isa : SimdIsas()) {
    Observed seen;
    for (int64_t n : {0, 1, 7, 15, 16, 17, 100, 4864}) {
      std::vector<float> gate(n), up(n);
      for (int64_t i = 0; i < n; ++i) {
        gate[i] = 60.0f * rng.Uniform() - 30.0f;
        up[i] = 60.0f * rng.Uniform() - 30.0f;
      }
      ExpectMatchesSpec(isa, gate, up, &seen);
      if (HasFatalFailure()) return;
    }
    Report(isa, seen);
  }
}

// silu alone (up = 1) on a dense grid over the whole range where exp(-g) is finite and nonzero.
TEST(SiluMul, SimdMatchesSpecificationOnDenseGrid) {
  if (SimdIsas().empty()) GTEST_SKIP() << "CPU has no SIMD ISA";
  constexpr int64_t kPoints = 1 << 18;
  std::vector<float> gate(kPoints), up(kPoints, 1.0f);
  for (int64_t i = 0; i < kPoints; ++i) gate[i] = -89.0f + 178.0f * static_cast<float>(i) / kPoints;
  for (Isa isa : SimdIsas()) {
    Observed seen;
    ExpectMatchesSpec(isa, gate, up, &seen);
    if (HasFatalFailure()) return;
    Report(isa, seen);
  }
}

TEST(SiluMul, SimdMatchesSpecificationOnEdgeValues) {
  if (SimdIsas().empty()) GTEST_SKIP() << "CPU has no SIMD ISA";
  // exp(-g) rounds to 1 (|g| tiny), 1 + exp(-g) rounds to 1 (g >= 17) or overflows (g below
  // -88.7228394, the first f32 whose exp(-g) is inf), or g itself is special: bit-identical.
  const std::vector<float> exact_g = {0.0f,   -0.0f,  1e-8f, -1e-8f,      88.0f, 100.0f, -100.0f,
                                      1e30f, -1e30f, kInf,  -kInf, kNaN, -0x1.62e430p+6f};
  // exp(-g) finite and large, up to the largest finite one (g = -88.7228317): within the bound.
  const std::vector<float> bounded_g = {-88.0f, -0x1.62e42ep+6f, -17.0f, -1.0f, 0.5f};
  const std::vector<float> ups = {1.5f, -0.75f, 0.0f, -0.0f, 3e-38f, kInf, -kInf, kNaN};
  for (Isa isa : SimdIsas()) {
    Observed seen;
    std::vector<float> gate, up;
    for (const std::vector<float>* gs : {&exact_g, &bounded_g})
      for (float g : *gs)
        for (float u : ups) {
          gate.push_back(g);
          up.push_back(u);
        }
    ExpectMatchesSpec(isa, gate, up, &seen);
    if (HasFatalFailure()) return;
    const int64_t n_exact = static_cast<int64_t>(exact_g.size() * ups.size());  // the first rows
    std::vector<float> spec = gate, got = gate;
    SiluMulF32(Isa::kRef, spec.data(), up.data(), n_exact);
    SiluMulF32(isa, got.data(), up.data(), n_exact);
    for (int64_t i = 0; i < n_exact; ++i)
      EXPECT_EQ(ErrorInUnits(got[i], spec[i]), 0.0)
          << IsaName(isa) << " g=" << gate[i] << " up=" << up[i] << ": " << got[i] << " vs " << spec[i];
  }
}

}  // namespace
}  // namespace mixq
