#include "mixq/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

namespace mixq::tok {
namespace {

std::vector<std::string> Split(const std::string& pattern, SplitBehavior behavior, const std::string& text,
                               bool invert = false) {
  auto regex = Regex::Compile(pattern, "test");
  EXPECT_TRUE(regex.ok()) << regex.message();
  std::vector<std::string> out;
  EXPECT_TRUE(ApplySplit({*regex, behavior, invert}, text, &out).ok());
  return out;
}

using V = std::vector<std::string>;

// The examples of Hugging Face's SplitDelimiterBehavior documentation.
TEST(PreTokenizer, SplitBehaviors) {
  const std::string text = "the-final--countdown";
  EXPECT_EQ(Split("-", SplitBehavior::kRemoved, text), (V{"the", "final", "countdown"}));
  EXPECT_EQ(Split("-", SplitBehavior::kIsolated, text), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(Split("-", SplitBehavior::kMergedWithPrevious, text), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(Split("-", SplitBehavior::kMergedWithNext, text), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(Split("-", SplitBehavior::kContiguous, text), (V{"the", "-", "final", "--", "countdown"}));
  // invert: the words are the delimiters; each match of "-" stays its own piece.
  EXPECT_EQ(Split("-", SplitBehavior::kRemoved, text, /*invert=*/true), (V{"-", "-", "-"}));
  EXPECT_EQ(Split("-+", SplitBehavior::kRemoved, text, /*invert=*/true), (V{"-", "--"}));
}

TEST(PreTokenizer, Gpt2PatternIsUnicodeAware) {
  // \p{L} covers accented and CJK letters; \s+(?!\S) leaves the last space for the next word.
  EXPECT_EQ(Split(kGpt2SplitPattern, SplitBehavior::kIsolated, "caf\xC3\xA9 \xE6\x88\x91   x"),
            (V{"caf\xC3\xA9", " \xE6\x88\x91", "  ", " x"}));
  EXPECT_EQ(Split(kGpt2SplitPattern, SplitBehavior::kIsolated, "I'll go"), (V{"I", "'ll", " go"}));
  // Invalid UTF-8 is not matched but survives in the gaps.
  EXPECT_EQ(Split(kGpt2SplitPattern, SplitBehavior::kIsolated, "a\xFF" "b"), (V{"a", "\xFF", "b"}));
}

TEST(PreTokenizer, StepsApplyInOrder) {
  PreTokenizer pre;
  pre.AddSplit({*Regex::Compile(R"(\p{N})", "digits"), SplitBehavior::kIsolated, false});
  pre.AddSplit({*Regex::Compile(kGpt2SplitPattern, "gpt2"), SplitBehavior::kIsolated, false});
  std::vector<std::string> out;
  ASSERT_TRUE(pre.Split("in 2024 ok", &out).ok());
  EXPECT_EQ(out, (V{"in", " ", "2", "0", "2", "4", " ok"}));
}

}  // namespace
}  // namespace mixq::tok
