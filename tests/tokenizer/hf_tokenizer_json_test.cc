#include "mixq/tokenizer/hf_tokenizer_json.h"

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tokenizer/tokenizer_test_util.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;
constexpr const char* kSmolLm = "tokenizers/smollm2-135m/tokenizer.json";

std::vector<int32_t> EncodeOrDie(const Tokenizer& tok, const std::string& text) {
  auto ids = tok.Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

class SmolLm2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SharedExists(kSmolLm)) GTEST_SKIP() << "missing ../shared/" << kSmolLm;
    auto tok = LoadHfTokenizerJson(SharedPath(kSmolLm));
    ASSERT_TRUE(tok.ok()) << tok.message();
    tok_ = std::move(tok).value();
  }
  std::unique_ptr<ByteLevelBpeTokenizer> tok_;
};

TEST_F(SmolLm2, Metadata) {
  EXPECT_EQ(tok_->vocab_size(), 49152);
  // config.json next to tokenizer.json: bos 1 (<|im_start|>), eos 2 (<|im_end|>); no
  // post_processor, so no BOS is prepended.
  EXPECT_EQ(tok_->bos_id(), 1);
  EXPECT_EQ(tok_->eos_id(), 2);
  EXPECT_FALSE(tok_->add_bos());
}

TEST_F(SmolLm2, SpecialTokensAreCutOutExactly) {
  EXPECT_EQ(tok_->TokenId("<|endoftext|>"), 0);
  EXPECT_EQ(tok_->TokenId("<|im_start|>"), 1);
  EXPECT_EQ(tok_->TokenId("<|im_end|>"), 2);
  EXPECT_EQ(EncodeOrDie(*tok_, "<|im_start|>"), (std::vector<int32_t>{1}));
  EXPECT_EQ(EncodeOrDie(*tok_, "<|im_start|><|im_end|><|endoftext|>"), (std::vector<int32_t>{1, 2, 0}));
  // A near miss is ordinary text.
  std::vector<int32_t> near = EncodeOrDie(*tok_, "<|im_start|");
  EXPECT_GT(near.size(), 1u);
  EXPECT_EQ(tok_->Decode(near), "<|im_start|");
  EXPECT_EQ(tok_->DecodeToken(-1, 1), "<|im_start|>");
}

// Worked from the merges by hand: the GPT-2 regex cuts "Hello world!" into "Hello", " world",
// "!"; byte-level makes " world" "Ġworld"; the merges build "Hello" (19556) and "Ġworld" (905),
// "!" is the single byte 17. Digits(individual) cuts numbers into single digits first, so
// " 2024" is "Ġ" (216, the lone space the GPT-2 regex leaves) then 2, 0, 2, 4 (34 32 34 36).
TEST_F(SmolLm2, HandVerifiedTokenizations) {
  EXPECT_EQ(EncodeOrDie(*tok_, "Hello world!"), (std::vector<int32_t>{19556, 905, 17}));
  EXPECT_EQ(EncodeOrDie(*tok_, " 2024"), (std::vector<int32_t>{216, 34, 32, 34, 36}));
  EXPECT_EQ(EncodeOrDie(*tok_, "\n"), (std::vector<int32_t>{198}));  // 'Ċ'
  EXPECT_EQ(tok_->DecodeToken(-1, 905), " world");
  EXPECT_EQ(tok_->DecodeToken(-1, 198), "\n");
}

// Ids from an independent Python implementation of the same specification (the `regex`
// module for \p{..}, GPT-2's byte map, rank-ordered merges), written for these tests.
TEST_F(SmolLm2, MatchesIndependentReference) {
  const std::vector<std::pair<std::string, std::vector<int32_t>>> cases = {
      {"The year 2024 had 366 days.", {504, 713, 216, 34, 32, 34, 36, 761, 216, 35, 38, 38, 2009, 30}},
      {"<|im_start|>user\nHi there<|im_end|>\n", {1, 4093, 198, 26843, 665, 2, 198}},
      {"def add(a, b):\n    return a + b\n", {1604, 803, 24, 81, 28, 278, 727, 472, 1003, 253, 1232, 278, 198}},
      {"  leading and   multiple   spaces  ", {216, 2899, 284, 256, 2701, 256, 5600, 256}},
      {"caf\xC3\xA9 na\xC3\xAFve \xC3\xBC" "ber", {83, 1939, 2756, 15486, 46494, 5549, 137, 593}},
      {"\xE6\x88\x91\xE6\x83\xB3\xE5\x9C\xA8" "apple\xE5\xB7\xA5\xE4\xBD\x9C", {19805, 235, 177, 221, 128, 32632, 21949, 36149, 115, 40994}},
      {"emoji \xF0\x9F\x99\x82!", {391, 33777, 47526, 17}},
      {"I've been 'told he's there", {57, 3543, 719, 637, 100, 793, 384, 506, 665}},
      {"tabs\tand\r\nnewlines\n\n\n", {100, 7366, 197, 397, 201, 198, 2241, 5110, 16506}},
  };
  for (const auto& [text, ids] : cases) EXPECT_EQ(EncodeOrDie(*tok_, text), ids) << text;
}

TEST_F(SmolLm2, RoundTripsAnyBytes) {
  for (const std::string& text : testing::DiverseTexts()) EXPECT_EQ(tok_->Decode(EncodeOrDie(*tok_, text)), text);
  // Byte-level BPE covers every byte its vocabulary has, valid UTF-8 or not. SmolLM2's lacks
  // 21 bytes (never seen in training: 0x04 0x06 0x13 0x14 0x16 0x1D 0xC0 0xC1 0xF1 0xF2
  // 0xF5..0xFF); with no unk_token, Hugging Face drops them, and so does mixq.
  const std::string missing = "\x04\x06\x13\x14\x16\x1D\xC0\xC1\xF1\xF2\xF5\xF6\xF7\xF8\xF9\xFA\xFB\xFC\xFD\xFE\xFF";
  std::string all_bytes, kept_bytes;
  for (int b = 0; b < 256; ++b) {
    all_bytes += static_cast<char>(b);
    if (missing.find(static_cast<char>(b)) == std::string::npos) kept_bytes += static_cast<char>(b);
  }
  EXPECT_EQ(kept_bytes.size(), 256u - 21u);
  EXPECT_EQ(tok_->Decode(EncodeOrDie(*tok_, all_bytes)), kept_bytes);
  const std::string invalid = "ab\xF3\x80 cd \xC3 \xE2\x82 ok";
  EXPECT_EQ(tok_->Decode(EncodeOrDie(*tok_, invalid)), invalid);
  const std::string chat = "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n";
  EXPECT_EQ(tok_->Decode(EncodeOrDie(*tok_, chat)), chat);
  EXPECT_TRUE(EncodeOrDie(*tok_, "").empty());
}

// ---- small hand-made tokenizer.json files ----

nlohmann::json MiniTokenizer() {
  // Byte-level alphabet for "a", "b", "c" and space ('Ġ'); merges a b -> ab, ab c -> abc,
  // Ġ a -> Ġa. Vocabulary also has "bc" reachable by no merge.
  return nlohmann::json::parse(R"({
    "version": "1.0", "added_tokens": [{"id": 9, "content": "<sep>", "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": null,
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "\u0120": 3, "ab": 4, "abc": 5, "\u0120a": 6, "bc": 7},
              "merges": ["a b", ["ab", "c"], "\u0120 a"]}
  })");
}

std::string WriteJson(const std::string& name, const nlohmann::json& j) {
  const std::string path = testing::TempPath(name);
  testing::WriteStringToFile(path, j.dump());
  return path;
}

TEST(HfTokenizerJson, MiniMergesAndIgnoreMerges) {
  auto tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", MiniTokenizer()));
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ((*tok)->vocab_size(), 10);
  EXPECT_EQ(EncodeOrDie(**tok, "abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(EncodeOrDie(**tok, "bc"), (std::vector<int32_t>{1, 2}));  // no merge makes "bc"
  // " ab" is the word "Ġab": "a b" (rank 0) merges before "Ġ a" (rank 2), then "Ġ ab" is no merge.
  EXPECT_EQ(EncodeOrDie(**tok, "abc<sep> ab"), (std::vector<int32_t>{5, 9, 3, 4}));
  EXPECT_EQ(EncodeOrDie(**tok, " a"), (std::vector<int32_t>{6}));
  nlohmann::json j = MiniTokenizer();
  j["model"]["ignore_merges"] = true;  // a word that is a vocabulary entry is taken whole
  auto ignoring = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_TRUE(ignoring.ok()) << ignoring.message();
  EXPECT_EQ(EncodeOrDie(**ignoring, "bc"), (std::vector<int32_t>{7}));
}

TEST(HfTokenizerJson, SplitRemovedInSequence) {
  nlohmann::json j = MiniTokenizer();
  j["pre_tokenizer"] = nlohmann::json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"String": "c"}, "behavior": "Removed", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})");
  auto tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(EncodeOrDie(**tok, "abcab"), (std::vector<int32_t>{4, 4}));  // 'c' removed, "ab" "ab"
}

TEST(HfTokenizerJson, MissingFile) {
  auto tok = LoadHfTokenizerJson("/nonexistent/tokenizer.json");
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("/nonexistent/tokenizer.json"), std::string::npos) << tok.message();
}

TEST(HfTokenizerJson, MalformedJson) {
  const std::string path = testing::TempPath("tokenizer.json");
  testing::WriteStringToFile(path, R"({"model": {"type": "BPE", "vocab": {"a": 0,)");
  auto tok = LoadHfTokenizerJson(path);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();
  EXPECT_NE(tok.message().find("malformed JSON"), std::string::npos) << tok.message();
}

TEST(HfTokenizerJson, UnknownModelTypeIsNamed) {
  nlohmann::json j = MiniTokenizer();
  j["model"]["type"] = "WordPiece";
  const std::string path = WriteJson("tokenizer.json", j);
  auto tok = LoadHfTokenizerJson(path);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();
  EXPECT_NE(tok.message().find("'model.type'"), std::string::npos) << tok.message();
  EXPECT_NE(tok.message().find("WordPiece"), std::string::npos) << tok.message();
}

TEST(HfTokenizerJson, BadMergeNamesItsIndex) {
  nlohmann::json j = MiniTokenizer();
  j["model"]["merges"].push_back("b z");
  auto tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("'model.merges'[3]"), std::string::npos) << tok.message();
  j = MiniTokenizer();
  j["model"]["merges"][1] = 42;
  tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("'model.merges'[1]"), std::string::npos) << tok.message();
}

TEST(HfTokenizerJson, UnsupportedPipelinePartsAreNamed) {
  nlohmann::json j = MiniTokenizer();
  j["pre_tokenizer"] = nlohmann::json::parse(R"({"type": "Metaspace", "replacement": "\u2581"})");
  auto tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("Metaspace"), std::string::npos) << tok.message();
  j = MiniTokenizer();
  j["pre_tokenizer"] = nlohmann::json::parse(R"({"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"})");
  tok = LoadHfTokenizerJson(WriteJson("tokenizer.json", j));
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("'pre_tokenizer.pattern'"), std::string::npos) << tok.message();
}

}  // namespace
}  // namespace mixq
