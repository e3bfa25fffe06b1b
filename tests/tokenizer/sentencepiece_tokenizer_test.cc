#include "mixq/tokenizer/sentencepiece_tokenizer.h"

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tokenizer/tokenizer_test_util.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;

std::unique_ptr<SentencePieceTokenizer> LoadOrDie(const std::string& rel) {
  auto tok = SentencePieceTokenizer::Load(SharedPath(rel));
  EXPECT_TRUE(tok.ok()) << tok.message();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

TEST(SentencePieceTokenizer, WikiLlamaGoldenTokenization) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/golden.json");
  auto tok = LoadOrDie("models/wiki-llama-8m/tokenizer.model");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 4096);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_TRUE(tok->adds_dummy_prefix());
  auto golden = nlohmann::json::parse(testing::ReadFileToString(SharedPath("models/wiki-llama-8m/golden.json")));
  int checked = 0;
  for (const auto& entry : golden.at("tokenize")) {
    const std::string text = entry.at("text").get<std::string>();
    const auto expected = entry.at("ids").get<std::vector<int32_t>>();
    auto ids = tok->Encode(text);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, expected) << text;
    EXPECT_EQ(tok->Decode(*ids), text);
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(SentencePieceTokenizer, DecodeTokenHandlesSpaceAfterBosAndBytes) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/tokenizer.model");
  auto tok = LoadOrDie("models/wiki-llama-8m/tokenizer.model");
  ASSERT_TRUE(tok);
  // "Hello world" = [390 "▁H", 654 "ell", 4000 "o", 1202 "▁world"] per golden.json.
  EXPECT_EQ(tok->DecodeToken(1, 390), "H");
  EXPECT_EQ(tok->DecodeToken(-1, 390), " H");
  EXPECT_EQ(tok->DecodeToken(390, 654), "ell");
  EXPECT_EQ(tok->DecodeToken(654, 1202), " world");
  EXPECT_EQ(tok->DecodeToken(1, 1), "");  // control pieces print nothing
  EXPECT_EQ(tok->DecodeToken(0, 2), "");
  // Byte fallback: the emoji of golden.json is <0xF0><0x9F><0x99><0x82> = ids 243 162 156 133.
  EXPECT_EQ(tok->DecodeToken(3996, 243), "\xF0");
  EXPECT_EQ(tok->DecodeToken(243, 162), "\x9F");
  EXPECT_EQ(tok->Decode({1, 3996, 243, 162, 156, 133}), "\xF0\x9F\x99\x82");
  EXPECT_EQ(tok->DecodeToken(1, 99999), "");
  EXPECT_EQ(tok->DecodeToken(5, 0), " \xE2\x81\x87 ");  // <unk>
  EXPECT_EQ(tok->DecodeToken(1, 269), " ");              // "▁▁" after BOS keeps one space
}

TEST(SentencePieceTokenizer, RoundTripsDiverseText) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/tokenizer.model");
  auto tok = LoadOrDie("models/wiki-llama-8m/tokenizer.model");
  ASSERT_TRUE(tok);
  for (const std::string& text : testing::DiverseTexts()) {
    auto ids = tok->Encode(text);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(tok->Decode(*ids), text);
  }
  auto empty = tok->Encode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SentencePieceTokenizer, Tok105CharacterModel) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/tok105.model");
  auto tok = LoadOrDie("models/babyllama-1m/tok105.model");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 105);
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  auto ids = tok->Encode(text);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), text.size() + 1);  // character level: dummy prefix + one id per char
  EXPECT_EQ(tok->Decode(*ids), text);
}

TEST(SentencePieceTokenizer, MissingAndCorruptFiles) {
  auto missing = SentencePieceTokenizer::Load("/nonexistent/tokenizer.model");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("/nonexistent/tokenizer.model"), std::string::npos) << missing.message();
  const std::string bad = testing::TempPath("bad.model");
  testing::WriteStringToFile(bad, "this is not a protobuf");
  auto corrupt = SentencePieceTokenizer::Load(bad);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find(bad), std::string::npos) << corrupt.message();
}

}  // namespace
}  // namespace mixq
