#include <gtest/gtest.h>

#include "mixq/eval/membw.h"

namespace mixq::eval {
namespace {

TEST(MemoryBandwidth, MeasuresEachWorkingSet) {
  Context ctx = Context::Default();
  auto points = MeasureReadBandwidth(ctx, {1 << 20, 4 << 20}, 0.01, 2);
  ASSERT_TRUE(points.ok()) << points.message();
  ASSERT_EQ(points->size(), 2u);
  EXPECT_EQ((*points)[1].bytes, 4 << 20);
  for (const auto& p : *points) {
    EXPECT_GT(p.bytes_per_s, 1e8);   // any machine reads cache faster than 100 MB/s
    EXPECT_LT(p.bytes_per_s, 1e13);  // and slower than 10 TB/s
  }
}

TEST(MemoryBandwidth, RejectsBadArguments) {
  Context ctx;
  EXPECT_FALSE(MeasureReadBandwidth(ctx, {1 << 20}, 0.01, 0).ok());
  auto tiny = MeasureReadBandwidth(ctx, {1024}, 0.01, 1);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.message().find("64 KiB"), std::string::npos);
}

TEST(MemoryBandwidth, DefaultSizesReachMainMemory) {
  const auto sizes = DefaultBandwidthSizes();
  EXPECT_EQ(sizes.front(), 1 << 20);
  EXPECT_EQ(sizes.back(), int64_t{1} << 30);
}

}  // namespace
}  // namespace mixq::eval
