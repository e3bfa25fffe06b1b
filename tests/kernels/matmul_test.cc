// Every ISA x weight type x edge shape against the scalar reference. The tolerance is the
// standard floating-point summation bound: |error| <= 2 * k * u * sum_c |w_c * x_c|, u = 2^-24,
// k = row length (both sides round once per term, in different orders).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"

namespace mixq {
namespace {

struct Weights {
  std::vector<uint8_t> bytes;
  std::vector<float> values;  // the exact values the stored type represents
  WeightMatrix matrix;
};

Weights MakeWeights(DType type, int64_t rows, int64_t cols, Rng& rng) {
  Weights w;
  const size_t elem = type == DType::kF32 ? 4 : 2;
  w.bytes.resize(static_cast<size_t>(rows * cols) * elem);
  w.values.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows * cols; ++i) {
    const float v = rng.Normal() * (i % 97 == 0 ? 20.0f : 1.0f);  // a few outliers
    if (type == DType::kF32) {
      std::memcpy(&w.bytes[i * 4], &v, 4);
      w.values[i] = v;
    } else {
      const uint16_t h = type == DType::kF16 ? FloatToF16(v) : FloatToBf16(v);
      std::memcpy(&w.bytes[i * 2], &h, 2);
      w.values[i] = type == DType::kF16 ? F16ToFloat(h) : Bf16ToFloat(h);
    }
  }
  w.matrix = {type, rows, cols, w.bytes.data(), static_cast<size_t>(cols) * elem};
  return w;
}

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512})
    if (IsaSupported(isa)) isas.push_back(isa);
  return isas;
}

class MatMulTest : public ::testing::TestWithParam<std::tuple<Isa, DType>> {};

TEST_P(MatMulTest, MatchesReferenceOnEdgeShapes) {
  const auto [isa, type] = GetParam();
  if (!IsaSupported(isa)) GTEST_SKIP() << "CPU lacks " << IsaName(isa);
  Rng rng(42);
  for (int64_t rows : {1, 3, 8, 17, 33}) {
    for (int64_t cols : {1, 7, 8, 16, 17, 100, 256}) {
      for (int64_t n : {1, 2, 5, 33}) {
        Weights w = MakeWeights(type, rows, cols, rng);
        std::vector<float> x(static_cast<size_t>(n * cols));
        for (float& v : x) v = rng.Normal();
        std::vector<float> y(static_cast<size_t>(n * rows), NAN);
        Context ctx;
        ctx.isa = isa;
        MatMul(ctx, w.matrix, x.data(), n, y.data());
        for (int64_t t = 0; t < n; ++t)
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, magnitude = 0;
            for (int64_t c = 0; c < cols; ++c) {
              const double p = static_cast<double>(w.values[r * cols + c]) * x[t * cols + c];
              exact += p;
              magnitude += std::fabs(p);
            }
            const double tol = 2.0 * static_cast<double>(cols) * std::ldexp(1.0, -24) * magnitude + 1e-30;
            ASSERT_NEAR(y[t * rows + r], exact, tol)
                << IsaName(isa) << " " << DTypeName(type) << " rows=" << rows << " cols=" << cols << " n=" << n
                << " t=" << t << " r=" << r;
          }
      }
    }
  }
}

// A token's output is bit-identical whether it is computed alone (decode) or inside a batch
// (prefill), and whatever the thread count: this is what makes KV-cache decode reproducible.
TEST_P(MatMulTest, OutputIndependentOfBatchAndThreads) {
  const auto [isa, type] = GetParam();
  if (!IsaSupported(isa)) GTEST_SKIP() << "CPU lacks " << IsaName(isa);
  Rng rng(7);
  const int64_t rows = 45, cols = 200, n = 37;
  Weights w = MakeWeights(type, rows, cols, rng);
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (float& v : x) v = rng.Normal();
  Context one;
  one.isa = isa;
  Context many = one;
  many.SetThreads(3);
  std::vector<float> batch(static_cast<size_t>(n * rows)), threaded(batch.size());
  MatMul(one, w.matrix, x.data(), n, batch.data());
  MatMul(many, w.matrix, x.data(), n, threaded.data());
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> single(static_cast<size_t>(rows));
    MatMul(one, w.matrix, x.data() + t * cols, 1, single.data());
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_EQ(single[r], batch[t * rows + r]) << "t=" << t << " r=" << r;
      ASSERT_EQ(threaded[t * rows + r], batch[t * rows + r]) << "t=" << t << " r=" << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsasAndTypes, MatMulTest,
                         ::testing::Combine(::testing::Values(Isa::kRef, Isa::kAvx2, Isa::kAvx512),
                                            ::testing::Values(DType::kF32, DType::kF16, DType::kBF16)),
                         [](const auto& info) {
                           return std::string(IsaName(std::get<0>(info.param))) + "_" +
                                  DTypeName(std::get<1>(info.param));
                         });

TEST(VectorKernels, DotAndAxpyMatchReference) {
  Rng rng(3);
  for (Isa isa : AvailableIsas()) {
    for (int64_t n : {1, 5, 16, 31, 64, 129}) {
      std::vector<float> a(n), b(n), y(n), y_ref(n);
      double exact = 0, mag = 0;
      for (int64_t i = 0; i < n; ++i) {
        a[i] = rng.Normal();
        b[i] = rng.Normal();
        y[i] = y_ref[i] = rng.Normal();
        exact += static_cast<double>(a[i]) * b[i];
        mag += std::fabs(static_cast<double>(a[i]) * b[i]);
      }
      EXPECT_NEAR(DotF32(isa, a.data(), b.data(), n), exact, 2.0 * n * std::ldexp(1.0, -24) * mag) << IsaName(isa);
      AxpyF32(isa, 0.5f, a.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], y_ref[i] + 0.5 * a[i], 1e-6 * (1 + std::fabs(y_ref[i])));
    }
  }
}

// XOR is exact and order-free, so every ISA must equal the scalar loop bit for bit, including
// the tails and offsets that are not a multiple of the vector width.
TEST(VectorKernels, XorWordsMatchesReference) {
  Rng rng(4);
  std::vector<uint64_t> words(300);
  for (uint64_t& w : words) w = rng.NextU64();
  for (Isa isa : AvailableIsas())
    for (int64_t offset : {0, 1, 3})
      for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 64, 255}) {
        uint64_t expect = 0;
        for (int64_t i = 0; i < n; ++i) expect ^= words[offset + i];
        EXPECT_EQ(XorWords(isa, words.data() + offset, n), expect) << IsaName(isa) << " n=" << n << " offset=" << offset;
      }
}

TEST(DequantizeRow, MatchesStoredValues) {
  Rng rng(5);
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16}) {
    Weights w = MakeWeights(type, 3, 19, rng);
    std::vector<float> row(19);
    DequantizeRow(w.matrix, 2, row.data());
    for (int c = 0; c < 19; ++c) EXPECT_EQ(row[c], w.values[2 * 19 + c]);
  }
}

}  // namespace
}  // namespace mixq
