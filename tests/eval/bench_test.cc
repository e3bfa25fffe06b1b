#include <gtest/gtest.h>

#include "mixq/eval/bench.h"
#include "mixq/model/model.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

TEST(Bench, RandomTokensAreSeededAndInRange) {
  const auto a = RandomTokens(100, 37, 5), b = RandomTokens(100, 37, 5), c = RandomTokens(100, 37, 6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (int32_t t : a) EXPECT_TRUE(t >= 0 && t < 37);
}

TEST(Bench, RunsPromptAndGenerationTests) {
  MIXQ_REQUIRE_SHARED("models/stories260K/stories260K.bin");
  auto model = Model::Load(::mixq::testing::SharedPath("models/stories260K/stories260K.bin"));
  ASSERT_TRUE(model.ok()) << model.message();
  BenchOptions o;
  o.prompt_sizes = {32, 0};
  o.gen_sizes = {8};
  o.repetitions = 2;
  int reported = 0;
  auto tests = RunBench(Context::Default(), *model, o, [&](const BenchTest&) { ++reported; });
  ASSERT_TRUE(tests.ok()) << tests.message();
  ASSERT_EQ(tests->size(), 2u);
  EXPECT_EQ(reported, 2);
  EXPECT_EQ((*tests)[0].name, "pp32");
  EXPECT_EQ((*tests)[1].name, "tg8");
  for (const auto& t : *tests) {
    EXPECT_EQ(t.tokens_per_s.size(), 2u);
    EXPECT_GT(t.tps.mean, 0.0);
  }

  o.repetitions = 0;
  EXPECT_FALSE(RunBench(Context::Default(), *model, o).ok());
  o.repetitions = 1;
  o.gen_sizes = {-1};
  EXPECT_FALSE(RunBench(Context::Default(), *model, o).ok());
}

}  // namespace
}  // namespace mixq::eval
