#include "mixq/tokenizer/pre_tokenizer.h"

#include "mixq/tokenizer/gguf_pre_tokenizers.h"

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

namespace mixq::tok {
namespace {

std::vector<std::string> SplitWithPreset(const std::string& name, const std::string& text) {
  PreTokenizer pre;
  Status status = BuildGgufPreTokenizer(name, "test", &pre);
  EXPECT_TRUE(status.ok()) << status.message();
  std::vector<std::string> out;
  EXPECT_TRUE(pre.Split(text, &out).ok());
  return out;
}

// What each preset's pattern does differently, worked out from the patterns.
TEST(GgufPreTokenizers, PresetsDifferInDigitsAndCase) {
  const std::string text = "I'M 12345 ok\n\n";
  // GPT-2: contractions are lower-case only ("'M" is punctuation then a letter); a digit run
  // takes its leading space (" ?\p{N}+").
  EXPECT_EQ(SplitWithPreset("gpt-2", text), (V{"I", "'", "M", " 12345", " ok", "\n\n"}));
  // Llama 3: case-insensitive contractions, digits in groups of up to three, newlines together.
  EXPECT_EQ(SplitWithPreset("llama-bpe", text), (V{"I", "'M", " ", "123", "45", " ok", "\n\n"}));
  // Qwen2: as Llama 3 but one digit at a time.
  EXPECT_EQ(SplitWithPreset("qwen2", text), (V{"I", "'M", " ", "1", "2", "3", "4", "5", " ok", "\n\n"}));
  // SmolLM: single digits first, then GPT-2.
  EXPECT_EQ(SplitWithPreset("smollm", text), (V{"I", "'", "M", " ", "1", "2", "3", "4", "5", " ok", "\n\n"}));
}

TEST(GgufPreTokenizers, UnknownNameIsAnError) {
  PreTokenizer pre;
  Status status = BuildGgufPreTokenizer("deepseek-llm", "[tokenizer] x.gguf: 'tokenizer.ggml.pre'", &pre);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("deepseek-llm"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("x.gguf"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace mixq::tok
