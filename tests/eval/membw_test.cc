#include <gtest/gtest.h>

#include <vector>

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

TEST(MemoryBandwidth, ProbeReadsACallersBuffer) {
  Context ctx = Context::Default();
  std::vector<uint64_t> words(1 << 15, 0x0123456789abcdefULL);
  const auto probe = ReadProbe::Over(ctx, words.data(), static_cast<int64_t>(words.size()) * 8);
  EXPECT_EQ(probe->bytes(), static_cast<int64_t>(words.size()) * 8);
  EXPECT_GT(probe->Sweep(2), 0.0);
  auto owned = ReadProbe::Create(ctx, 1 << 20);
  ASSERT_TRUE(owned.ok()) << owned.message();
  EXPECT_EQ((*owned)->bytes(), (1 << 20) / ctx.n_threads / 64 * 64 * ctx.n_threads);
}

TEST(MemoryBandwidth, DefaultSizesReachMainMemory) {
  const auto sizes = DefaultBandwidthSizes();
  EXPECT_EQ(sizes.front(), 1 << 20);
  EXPECT_EQ(sizes.back(), int64_t{1} << 30);
}

}  // namespace
}  // namespace mixq::eval
