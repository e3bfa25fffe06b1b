#include <gtest/gtest.h>

#include "mixq/eval/perplexity_input.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

TEST(PerplexityInput, CrlfToLfKeepsLoneCarriageReturns) {
  EXPECT_EQ(CrlfToLf("a\r\nb\rc\r\n\r\n"), "a\nb\rc\n\n");
  EXPECT_EQ(CrlfToLf("\r"), "\r");
  EXPECT_EQ(CrlfToLf(""), "");
}

TEST(PerplexityInput, ReadTextFile) {
  const std::string path = ::mixq::testing::TempPath("text.txt");
  ::mixq::testing::WriteStringToFile(path, std::string("x\r\ny\0z", 6));
  auto raw = ReadTextFile(path, false);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, std::string("x\r\ny\0z", 6));  // bytes, embedded NUL kept
  auto lf = ReadTextFile(path, true);
  ASSERT_TRUE(lf.ok());
  EXPECT_EQ(*lf, std::string("x\ny\0z", 5));
  auto missing = ReadTextFile(path + ".missing", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(path + ".missing"), std::string::npos);
}

TEST(PerplexityInput, PlanChunksLikeLlamaCpp) {
  // wiki-llama-8m golden: 445,381 tokens with BOS at n_ctx 256 -> 1,739 chunks, 127 scored each.
  auto plan = PlanChunks(445381, 4096, 1, 256, 0);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->n_chunks, 1739);
  EXPECT_EQ(plan->first_scored, 128);
  EXPECT_EQ(plan->n_scored, 127);
  EXPECT_EQ(plan->bos_id, 1);
  EXPECT_EQ(plan->n_vocab, 4096);

  auto first20 = PlanChunks(445381, 4096, 1, 256, 20);
  ASSERT_TRUE(first20.ok());
  EXPECT_EQ(first20->n_chunks, 20);
  EXPECT_EQ(PlanChunks(1000, 10, -1, 256, 99)->n_chunks, 3);  // --chunks beyond the text: all

  auto odd = PlanChunks(100, 10, -1, 7, 0);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->first_scored, 3);
  EXPECT_EQ(odd->n_scored, 3);  // positions 3, 4, 5 predict 4, 5, 6

  EXPECT_FALSE(PlanChunks(100, 10, -1, 2, 0).ok());
  EXPECT_FALSE(PlanChunks(100, 10, -1, 256, 0).ok());
  EXPECT_FALSE(PlanChunks(1000, 10, -1, 256, -1).ok());
}

}  // namespace
}  // namespace mixq::eval
