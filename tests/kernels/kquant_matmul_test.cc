// Integer-dot kernels of the K-quants and IQ4_NL / Q4_1 / Q5_0 / Q5_1 (qkernels_kquant_*.cc):
// edge shapes (256-element super-blocks at cols 256, 512, 2816), outlier weights and
// activations, all-zero blocks, and the independence of the results from the tiling.
// quant_matmul_test.cc sweeps the same types on generic shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/codec.h"
#include "quant_case.h"

namespace mixq {
namespace {

const DType kTypes[] = {DType::kQ4_K, DType::kQ6_K, DType::kQ5_K, DType::kQ3_K, DType::kQ2_K,
                        DType::kIQ4_NL, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1};

using Case = testing::QuantCase;
Case MakeWeights(DType type, int64_t rows, int64_t cols, const std::function<float(int64_t, int64_t)>& gen) {
  return testing::MakeQuantCase(type, rows, cols, gen);
}

std::vector<float> Product(Isa isa, const Case& m, const std::vector<float>& x, int64_t n) {
  Context ctx;
  ctx.isa = isa;
  std::vector<float> y(static_cast<size_t>(n * m.w.rows));
  MatMul(ctx, m.w, x.data(), n, y.data());
  return y;
}

// Every ISA against the specification (only f32 sums reordered: a few ulps of sum |w x| per
// 32-element block), and the specification against the exact product of the dequantized
// weights (only the 8-bit activation rounding, max|x_block| / 254 per element).
void CheckAll(const Case& m, const std::vector<float>& x, int64_t n, const std::string& what) {
  const int64_t rows = m.w.rows, cols = m.w.cols;
  const std::vector<float> ref = Product(Isa::kRef, m, x, n);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double exact = 0, mag = 0, bound = 0;
      for (int64_t c = 0; c < cols; ++c) {
        double amax = 0;
        for (int64_t i = c / 32 * 32; i < c / 32 * 32 + 32; ++i) amax = std::max(amax, std::fabs(static_cast<double>(x[t * cols + i])));
        const double wx = static_cast<double>(m.dequantized[r * cols + c]) * x[t * cols + c];
        exact += wx;
        mag += std::fabs(wx);
        bound += std::fabs(m.dequantized[r * cols + c]) * (amax / 254.0 * 1.0001);
      }
      ASSERT_NEAR(ref[t * rows + r], exact, bound + 1e-4 * mag + 1e-5) << what << " ref r=" << r << " t=" << t;
      for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
        if (!IsaSupported(isa)) continue;
        const std::vector<float> got = Product(isa, m, x, n);
        ASSERT_NEAR(got[t * rows + r], ref[t * rows + r], 4.0 * cols / 32 * std::ldexp(1.0, -23) * (mag + 1e-6) + 1e-6)
            << what << " " << IsaName(isa) << " r=" << r << " t=" << t;
      }
    }
}

TEST(KQuantMatMul, EveryTypeHasAnIntegerKernel) {
  for (DType type : kTypes) EXPECT_TRUE(kernels::QuantKernelOffset(type).has_value()) << DTypeName(type);
}

TEST(KQuantMatMul, SuperBlockEdgeShapes) {
  Rng rng(17);
  for (DType type : kTypes)
    for (int64_t cols : {256, 512, 2816})
      for (int64_t n : {1, 2, 5}) {
        const Case m = MakeWeights(type, 9, cols, [&](int64_t, int64_t) { return rng.Normal(); });
        std::vector<float> x(static_cast<size_t>(n * cols));
        for (float& v : x) v = rng.Normal();
        CheckAll(m, x, n, std::string(DTypeName(type)) + " cols=" + std::to_string(cols) + " n=" + std::to_string(n));
      }
}

TEST(KQuantMatMul, OutliersInWeightsAndActivations) {
  Rng rng(23);
  for (DType type : kTypes) {
    const int64_t cols = 512, n = 3;
    // Rare large weights (one per ~37 elements, 50x), sub-blocks of very different scale,
    // and activations with a few 100x channels.
    const Case m = MakeWeights(type, 6, cols, [&](int64_t r, int64_t c) {
      const float scale = (c / 16 % 3 == 0 ? 0.01f : 1.0f) * (c % 37 == 5 ? 50.0f : 1.0f);
      return rng.Normal() * scale + (r % 2 ? 0.5f : 0.0f);
    });
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (size_t i = 0; i < x.size(); ++i) x[i] = rng.Normal() * (i % 101 == 7 ? 100.0f : 1.0f);
    CheckAll(m, x, n, std::string(DTypeName(type)) + " outliers");
  }
}

TEST(KQuantMatMul, AllZeroBlocks) {
  Rng rng(31);
  for (DType type : kTypes) {
    const int64_t cols = 768, n = 4;
    // Row 0 all zero; other rows zero in every other 32-element block (whole 256-element
    // super-blocks zero for the middle third); activations zero in some blocks.
    const Case m = MakeWeights(type, 5, cols, [&](int64_t r, int64_t c) {
      if (r == 0 || (c / 32) % 2 == 1 || (c >= 256 && c < 512)) return 0.0f;
      return rng.Normal();
    });
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (size_t i = 0; i < x.size(); ++i) x[i] = (i / 32) % 3 == 2 ? 0.0f : rng.Normal();
    for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaSupported(isa)) continue;
      const std::vector<float> y = Product(isa, m, x, n);
      for (int64_t t = 0; t < n; ++t) EXPECT_EQ(y[t * m.w.rows], 0.0f) << DTypeName(type) << " " << IsaName(isa);
    }
    CheckAll(m, x, n, std::string(DTypeName(type)) + " zero blocks");
  }
}

// A token's outputs do not depend on how many tokens share the call (decode == prefill row),
// bit for bit, for every ISA.
TEST(KQuantMatMul, DecodeMatchesPrefillBitForBit) {
  Rng rng(41);
  for (DType type : kTypes) {
    const int64_t cols = 512, n = 7, rows = 11;
    const Case m = MakeWeights(type, rows, cols, [&](int64_t, int64_t) { return rng.Normal(); });
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (float& v : x) v = rng.Normal();
    for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaSupported(isa)) continue;
      const std::vector<float> all = Product(isa, m, x, n);
      for (int64_t t = 0; t < n; ++t) {
        const std::vector<float> xt(x.begin() + t * cols, x.begin() + (t + 1) * cols);
        const std::vector<float> one = Product(isa, m, xt, 1);
        for (int64_t r = 0; r < rows; ++r)
          ASSERT_EQ(one[r], all[t * rows + r]) << DTypeName(type) << " " << IsaName(isa) << " t=" << t << " r=" << r;
      }
    }
  }
}

}  // namespace
}  // namespace mixq
