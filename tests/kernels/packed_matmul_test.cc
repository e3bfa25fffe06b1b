// Packed (row-interleaved) Q4_0 / Q8_0 matrices: the packing is exact, every ISA's packed
// kernel matches the scalar specification on the file layout, a token's result does not
// depend on the tokens sharing the call or on the thread count, and the SIMD activation
// quantizer writes the scalar one's bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/quant_act.h"
#include "mixq/quant/blocks.h"
#include "mixq/quant/codec.h"
#include "quant_case.h"

namespace mixq {
namespace {

using testing::QuantCase;

// UnpackRow inverts the packing of the 32-element types.
constexpr DType kFileLayoutTypes[] = {DType::kQ4_0, DType::kQ8_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kIQ4_NL};
constexpr DType kPackedTypes[] = {DType::kQ4_0, DType::kQ8_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kIQ4_NL,
                                  DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ3_K, DType::kQ2_K};

// Columns per packed unit: 32, or a 256-element super-block for the K-quants.
int64_t Unit(DType type) { return GetDTypeInfo(type).block_size; }

QuantCase Make(DType type, int64_t rows, int64_t cols, Rng& rng) {
  return testing::MakeQuantCase(type, rows, cols, [&](int64_t, int64_t c) { return rng.Normal() * (c % 29 == 0 ? 8.0f : 1.0f); });
}

std::vector<float> Activations(int64_t n, int64_t cols, Rng& rng) {
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (float& v : x) v = rng.Normal();
  return x;
}

std::vector<float> Product(const Context& ctx, const WeightMatrix& w, const std::vector<float>& x, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n * w.rows), -1.0f);
  MatMul(ctx, w, x.data(), n, y.data());
  return y;
}

Context IsaContext(Isa isa) {
  Context ctx;
  ctx.isa = isa;
  return ctx;
}

TEST(PackedMatMul, PackingIsExact) {
  Rng rng(3);
  for (DType type : kFileLayoutTypes)
    for (int64_t rows : {1, 15, 16, 17, 40})
      for (int64_t cols : {32, 96, 576}) {
        QuantCase m = Make(type, rows, cols, rng);
        const std::unique_ptr<PackedMatrix> packed = PackMatrix(Context(), m.w);
        EXPECT_EQ(packed->groups, (rows + 15) / 16);
        EXPECT_EQ(packed->data.size(), static_cast<size_t>(packed->groups * cols / 32) * packed->block_bytes);
        // Same bits per weight as the file: 18 bytes (Q4_0) or 34 bytes (Q8_0) per row block.
        EXPECT_EQ(packed->block_bytes, 16 * m.w.row_bytes / static_cast<size_t>(cols / 32));
        std::vector<uint8_t> row(m.w.row_bytes);
        for (int64_t r = 0; r < rows; ++r) {
          UnpackRow(*packed, r, row.data());
          ASSERT_EQ(0, std::memcmp(row.data(), m.bytes.data() + r * m.w.row_bytes, m.w.row_bytes))
              << DTypeName(type) << " row " << r << " of " << rows << " cols " << cols;
        }
      }
}

TEST(PackedMatMul, EveryIsaMatchesTheScalarSpecification) {
  Rng rng(5);
  for (DType type : kPackedTypes)
    for (int64_t rows : {1, 5, 16, 19, 33})
      for (int64_t units : {1, 2, 9, 19})  // 32-element types: runs of 8 blocks, a pair, a lone block
        for (int64_t n : {1, 3, 4, 5, 37}) {
          const int64_t cols = units * Unit(type);
          QuantCase m = Make(type, rows, cols, rng);
          const std::vector<float> x = Activations(n, cols, rng);
          const std::vector<float> expected = Product(IsaContext(Isa::kRef), m.w, x, n);
          const std::unique_ptr<PackedMatrix> packed = PackMatrix(Context(), m.w);
          WeightMatrix w = m.w;
          w.packed = packed.get();
          // The reference ISA ignores the packed copy; it is the specification.
          EXPECT_EQ(Product(IsaContext(Isa::kRef), w, x, n), expected);
          for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
            if (!IsaSupported(isa)) continue;
            const std::vector<float> got = Product(IsaContext(isa), w, x, n);
            for (size_t i = 0; i < got.size(); ++i) {
              const int64_t t = static_cast<int64_t>(i) / rows, r = static_cast<int64_t>(i) % rows;
              ASSERT_NEAR(got[i], expected[i], testing::ReorderBound(m, x, t, r))
                  << DTypeName(type) << " " << IsaName(isa) << " rows=" << rows << " cols=" << cols << " n=" << n;
            }
          }
        }
}

// Every code bit set (the largest unsigned code of each type: Q6_K 63, Q5_K 31, ...), scale 1 and
// min scale 0: with activations all +127 or all -127 this is the most an int16 sum
// of maddubs pairs can hold (the AVX2 kernels' bounds in packed_avx2.cc, packed_kquant_avx2.cc).
testing::QuantCase LargestCodes(DType type, int64_t rows, int64_t cols) {
  struct Fields {
    size_t block, d, dmin;  // block bytes and the f16 fields' offsets (dmin == block: none)
  };
  const Fields f = type == DType::kQ2_K   ? Fields{sizeof(BlockQ2_K), offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)}
                   : type == DType::kQ3_K ? Fields{sizeof(BlockQ3_K), offsetof(BlockQ3_K, d), sizeof(BlockQ3_K)}
                   : type == DType::kQ4_K ? Fields{sizeof(BlockQ4_K), offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)}
                   : type == DType::kQ5_K ? Fields{sizeof(BlockQ5_K), offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)}
                   : type == DType::kQ6_K ? Fields{sizeof(BlockQ6_K), offsetof(BlockQ6_K, d), sizeof(BlockQ6_K)}
                   // 32-element types: f16 d first, then f16 m (Q4_1, Q5_1)
                   : type == DType::kQ4_1 || type == DType::kQ5_1 ? Fields{*DTypeBytes(type, 32), 0, 2}
                                                                  : Fields{*DTypeBytes(type, 32), 0, *DTypeBytes(type, 32)};
  testing::QuantCase m;
  const size_t row_bytes = *DTypeBytes(type, cols);
  m.bytes.assign(row_bytes * rows, 0xFF);
  for (size_t at = 0; at < m.bytes.size(); at += f.block) {
    const uint16_t one = FloatToF16(1.0f), zero = 0;
    std::memcpy(&m.bytes[at + f.d], &one, 2);
    if (f.dmin < f.block) std::memcpy(&m.bytes[at + f.dmin], &zero, 2);
  }
  m.dequantized.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) FindQuantCodec(type)->dequantize_row(&m.bytes[r * row_bytes], &m.dequantized[r * cols], cols);
  m.w = {type, rows, cols, m.bytes.data(), row_bytes};
  return m;
}

TEST(PackedMatMul, IntegerSumsDoNotSaturateAtTheLargestCodes) {
  for (DType type : {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ4_0, DType::kQ4_1,
                     DType::kQ5_0, DType::kQ5_1}) {
    const int64_t rows = 16, cols = 512, n = 2;
    testing::QuantCase m = LargestCodes(type, rows, cols);
    std::vector<float> x(static_cast<size_t>(n * cols), 1.0f);
    std::fill(x.begin() + cols, x.end(), -1.0f);  // token 1: all -127
    const std::vector<float> expected = Product(IsaContext(Isa::kRef), m.w, x, n);
    const std::unique_ptr<PackedMatrix> packed = PackMatrix(Context(), m.w);
    WeightMatrix w = m.w;
    w.packed = packed.get();
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaSupported(isa)) continue;
      for (int64_t tokens : {int64_t{1}, n}) {  // decode and prefill tiles
        const std::vector<float> got = Product(IsaContext(isa), w, x, tokens);
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_NEAR(got[i], expected[i], testing::ReorderBound(m, x, static_cast<int64_t>(i) / rows, static_cast<int64_t>(i) % rows))
              << DTypeName(type) << " " << IsaName(isa) << " tokens=" << tokens << " i=" << i;
      }
    }
  }
}

// Decode (one token per call) must equal prefill (many tokens per call) bit for bit, so that
// a KV-cached generation reproduces a full recompute.
TEST(PackedMatMul, DecodeMatchesPrefillBitForBit) {
  Rng rng(6);
  for (DType type : kPackedTypes)
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
      if (!IsaSupported(isa)) continue;
      const int64_t rows = 35, cols = 3 * Unit(type), n = 37;
      QuantCase m = Make(type, rows, cols, rng);
      const std::unique_ptr<PackedMatrix> packed = PackMatrix(Context(), m.w);
      m.w.packed = packed.get();
      const std::vector<float> x = Activations(n, cols, rng);
      const std::vector<float> all = Product(IsaContext(isa), m.w, x, n);
      for (int64_t t = 0; t < n; ++t) {
        const std::vector<float> one_x(x.begin() + t * cols, x.begin() + (t + 1) * cols);
        const std::vector<float> one = Product(IsaContext(isa), m.w, one_x, 1);
        for (int64_t r = 0; r < rows; ++r)
          ASSERT_EQ(one[r], all[t * rows + r]) << DTypeName(type) << " " << IsaName(isa) << " t=" << t << " r=" << r;
      }
    }
}

TEST(PackedMatMul, ThreadCountDoesNotChangeResults) {
  Rng rng(7);
  for (DType type : kPackedTypes) {
    QuantCase m = Make(type, 70, 512, rng);
    const std::unique_ptr<PackedMatrix> packed = PackMatrix(Context(), m.w);
    m.w.packed = packed.get();
    const std::vector<float> x = Activations(5, 512, rng);
    Context one = Context::Default(), three = Context::Default();
    one.SetThreads(1);
    three.SetThreads(3);
    EXPECT_EQ(Product(one, m.w, x, 5), Product(three, m.w, x, 5)) << DTypeName(type);
  }
}

// Q, K, V in one call: each output exactly as its own MatMul, for packed, file-layout and
// float matrices, and for a mix of types (which needs different activation codes).
TEST(PackedMatMul, SharedInputProductsEqualSeparateOnes) {
  Rng rng(8);
  const int64_t cols = 128, n = 6;
  QuantCase q = Make(DType::kQ4_0, 40, cols, rng), k = Make(DType::kQ4_0, 19, cols, rng),
            v = Make(DType::kQ8_0, 16, cols, rng);
  const std::unique_ptr<PackedMatrix> pq = PackMatrix(Context(), q.w);
  q.w.packed = pq.get();
  std::vector<float> f32(static_cast<size_t>(24 * cols));
  for (float& f : f32) f = rng.Normal();
  const WeightMatrix wf{DType::kF32, 24, cols, f32.data(), cols * sizeof(float)};
  const std::vector<float> x = Activations(n, cols, rng);
  Context ctx = Context::Default();
  ctx.SetThreads(2);
  for (const std::vector<const WeightMatrix*>& ws : std::vector<std::vector<const WeightMatrix*>>{
           {&q.w, &k.w}, {&q.w, &k.w, &v.w}, {&wf, &q.w}, {&k.w}}) {
    std::vector<std::vector<float>> ys;
    std::vector<float*> outs;
    for (const WeightMatrix* w : ws) ys.emplace_back(static_cast<size_t>(n * w->rows), -1.0f);
    for (std::vector<float>& y : ys) outs.push_back(y.data());
    MatMulShared(ctx, ws, x.data(), n, outs);
    for (size_t i = 0; i < ws.size(); ++i) EXPECT_EQ(ys[i], Product(ctx, *ws[i], x, n)) << "matrix " << i;
  }
}

TEST(QuantizedActivations, SimdRowsEqualScalarRows) {
  if (!IsaSupported(Isa::kAvx512)) GTEST_SKIP() << "no AVX-512";
  Rng rng(9);
  const int64_t k = 256;
  std::vector<float> x(k);
  for (int trial = 0; trial < 50; ++trial) {
    for (int64_t i = 0; i < k; ++i) {
      x[i] = rng.Normal() * (trial % 3 == 0 ? 1e-3f : 1.0f) * (i % 17 == 0 ? 50.0f : 1.0f);
      if (i % 13 == trial % 13) x[i] = (trial % 2) ? -0.0f : 0.0f;
      if (trial == 7 && i < 64) x[i] = 0.0f;  // all-zero blocks: scale 0
      if (trial == 8 && i % 32 == 5) x[i] = -x[i - 1] * 3;
    }
    for (int32_t offset : {0, 8, 128}) {
      struct Buffers {
        std::vector<int8_t> q = std::vector<int8_t>(k);
        std::vector<float> d = std::vector<float>(k / 32), xs = std::vector<float>(k / 16);
        std::vector<int32_t> s = std::vector<int32_t>(k / 16), b = std::vector<int32_t>(k / 4),
                             bb = std::vector<int32_t>(k / 32), b16 = std::vector<int32_t>(k / 16);
        ActivationRow row() { return {q.data(), d.data(), s.data(), b.data(), bb.data(), b16.data(), xs.data()}; }
      } ref, simd;
      QuantizeActivationRowRef(x.data(), k, offset, ref.row());
      QuantizeActivationRowAvx512(x.data(), k, offset, simd.row());
      ASSERT_EQ(ref.q, simd.q) << "trial " << trial;
      ASSERT_EQ(ref.d, simd.d);
      ASSERT_EQ(ref.s, simd.s);
      ASSERT_EQ(ref.b, simd.b);
      ASSERT_EQ(ref.bb, simd.bb);
      ASSERT_EQ(ref.b16, simd.b16);
      ASSERT_EQ(ref.xs, simd.xs);
      for (int64_t g = 0; g < k / 16; ++g) ASSERT_EQ(ref.b16[g], -offset * ref.s[g]);
    }
  }
}

}  // namespace
}  // namespace mixq
