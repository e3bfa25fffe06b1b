// Quantized matmuls: every ISA's integer-dot kernel against the scalar specification, and the
// specification against the exact product of the dequantized weights with the unquantized
// activations (the error is then only the 8-bit activation rounding, bounded per block).
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/codec.h"
#include "quant_case.h"

namespace mixq {
namespace {

using testing::QuantCase;
using QuantMatrix = QuantCase;

QuantMatrix Make(DType type, int64_t rows, int64_t cols, Rng& rng) {
  return testing::MakeQuantCase(type, rows, cols, [&](int64_t, int64_t c) { return rng.Normal() * (c % 29 == 0 ? 8.0f : 1.0f); });
}

const std::vector<DType>& KernelTypes() {
  static const std::vector<DType> types = [] {
    std::vector<DType> t;
    for (const QuantCodec* c : AllQuantCodecs())
      if (kernels::QuantKernelOffset(c->type)) t.push_back(c->type);
    return t;
  }();
  return types;
}

TEST(QuantMatMul, SomeTypesHaveIntegerKernels) { EXPECT_GE(KernelTypes().size(), 2u); }

TEST(QuantMatMul, EveryIsaMatchesTheScalarSpecification) {
  Rng rng(9);
  for (DType type : KernelTypes()) {
    const int64_t block = GetDTypeInfo(type).block_size;
    for (int64_t rows : {1, 5, 16, 19}) {
      for (int64_t cols : {block, 2 * block, 8 * block}) {
        for (int64_t n : {1, 3, 8, 37}) {
          QuantMatrix m = Make(type, rows, cols, rng);
          std::vector<float> x(static_cast<size_t>(n * cols));
          for (float& v : x) v = rng.Normal();
          Context ref;
          std::vector<float> expected(static_cast<size_t>(n * rows));
          MatMul(ref, m.w, x.data(), n, expected.data());
          for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
            if (!IsaSupported(isa)) continue;
            Context ctx;
            ctx.isa = isa;
            std::vector<float> got(expected.size());
            MatMul(ctx, m.w, x.data(), n, got.data());
            for (size_t i = 0; i < got.size(); ++i) {
              const int64_t t = static_cast<int64_t>(i) / rows, r = static_cast<int64_t>(i) % rows;
              ASSERT_NEAR(got[i], expected[i], testing::ReorderBound(m, x, t, r))
                  << DTypeName(type) << " " << IsaName(isa) << " rows=" << rows << " cols=" << cols << " n=" << n;
            }
          }
        }
      }
    }
  }
}

// The activation codes are within half a step (max|x_block| / 254) of x, so the error against
// the exact product of dequantized weights with x is at most sum_c |w_c| * step_c / 2.
TEST(QuantMatMul, SpecificationMatchesDequantizedProductWithinActivationRounding) {
  Rng rng(4);
  for (DType type : KernelTypes()) {
    const int64_t rows = 7, cols = 4 * GetDTypeInfo(type).block_size, n = 3;
    QuantMatrix m = Make(type, rows, cols, rng);
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (float& v : x) v = rng.Normal();
    Context ref;
    std::vector<float> y(static_cast<size_t>(n * rows));
    MatMul(ref, m.w, x.data(), n, y.data());
    for (int64_t t = 0; t < n; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        double exact = 0, bound = 0;
        for (int64_t c = 0; c < cols; ++c) {
          double amax = 0;
          for (int64_t i = c / 32 * 32; i < c / 32 * 32 + 32; ++i) amax = std::max(amax, std::fabs(static_cast<double>(x[t * cols + i])));
          exact += static_cast<double>(m.dequantized[r * cols + c]) * x[t * cols + c];
          bound += std::fabs(m.dequantized[r * cols + c]) * (amax / 254.0 * 1.0001);
        }
        EXPECT_NEAR(y[t * rows + r], exact, bound + 1e-4 * std::fabs(exact) + 1e-5) << DTypeName(type);
      }
  }
}

// The weights end exactly where an inaccessible page begins, so any read past the matrix
// (e.g. a kernel taking blocks in pairs reading a missing second block) faults.
class GuardedCopy {
 public:
  explicit GuardedCopy(const std::vector<uint8_t>& bytes) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    span_ = (bytes.size() + page - 1) / page * page + page;
    base_ = static_cast<uint8_t*>(mmap(nullptr, span_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(base_, MAP_FAILED);
    EXPECT_EQ(mprotect(base_ + span_ - page, page, PROT_NONE), 0);
    data_ = base_ + span_ - page - bytes.size();
    std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~GuardedCopy() { munmap(base_, span_); }
  const uint8_t* data() const { return data_; }

 private:
  uint8_t* base_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t span_ = 0;
};

TEST(QuantMatMul, NeverReadsPastTheMatrix) {
  Rng rng(12);
  for (DType type : KernelTypes()) {
    const int64_t block = GetDTypeInfo(type).block_size;
    for (int64_t cols : {block, 3 * block}) {  // odd block counts end on a lone block
      QuantMatrix m = Make(type, 5, cols, rng);
      GuardedCopy guarded(m.bytes);
      WeightMatrix w = m.w;
      w.data = guarded.data();
      for (int64_t n : {1, 6}) {
        std::vector<float> x(static_cast<size_t>(n * cols), 0.25f), y(static_cast<size_t>(n * 5));
        for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
          if (!IsaSupported(isa)) continue;
          Context ctx;
          ctx.isa = isa;
          MatMul(ctx, w, x.data(), n, y.data());
          for (float v : y) ASSERT_TRUE(std::isfinite(v)) << DTypeName(type) << " " << IsaName(isa) << " cols=" << cols;
        }
      }
    }
  }
}

TEST(QuantMatMul, ThreadCountDoesNotChangeResults) {
  Rng rng(2);
  for (DType type : KernelTypes()) {
    QuantMatrix m = Make(type, 70, 256, rng);
    std::vector<float> x(5 * 256);
    for (float& v : x) v = rng.Normal();
    Context one = Context::Default(), two = Context::Default();
    one.SetThreads(1);
    two.SetThreads(3);
    std::vector<float> a(5 * 70), b(5 * 70);
    MatMul(one, m.w, x.data(), 5, a.data());
    MatMul(two, m.w, x.data(), 5, b.data());
    EXPECT_EQ(a, b) << DTypeName(type);
  }
}

}  // namespace
}  // namespace mixq
