#include <gtest/gtest.h>

#include "mixq/base/parallel.h"
#include "mixq/tensor/dtype.h"
#include "mixq/tensor/tensor.h"

namespace mixq {
namespace {

TEST(DType, PublishedBitsPerWeight) {
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ4_0), 4.5);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ8_0), 8.5);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ2_K), 2.625);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ3_K), 3.4375);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ4_K), 4.5);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ5_K), 5.5);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kQ6_K), 6.5625);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(DType::kBF16), 16.0);
}

TEST(DType, LookupByIdAndName) {
  EXPECT_EQ(FindDType(30)->type, DType::kBF16);
  EXPECT_EQ(FindDType(4), nullptr);  // ggml's removed Q4_2 id
  EXPECT_EQ(ParseDType("Q4_K"), DType::kQ4_K);
  EXPECT_EQ(ParseDType("nope"), std::nullopt);
  EXPECT_EQ(DTypeBytes(DType::kQ4_0, 64), 36u);
  EXPECT_EQ(DTypeBytes(DType::kQ4_0, 33), std::nullopt);
}

TEST(TensorSet, FindAndReplace) {
  TensorSet set;
  set.Add({"a", DType::kF32, {2, 3}, nullptr, 24});
  EXPECT_EQ(set.Find("a")->rows(), 2);
  EXPECT_EQ(set.Find("a")->cols(), 3);
  set.Replace({"a", DType::kF16, {2, 3}, nullptr, 12});
  EXPECT_EQ(set.Find("a")->dtype, DType::kF16);
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.Find("b"), nullptr);
}

TEST(ParallelFor, CoversEveryItemOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3, 8}) {
    Context ctx;
    ctx.SetThreads(threads);
    std::vector<int> hits(1001, 0);
    ParallelFor(ctx, 1001, 16, [&](int64_t b, int64_t e) {
      EXPECT_EQ(b % 16, 0);
      for (int64_t i = b; i < e; ++i) hits[i]++;
    });
    for (int h : hits) EXPECT_EQ(h, 1);
  }
}

}  // namespace
}  // namespace mixq
