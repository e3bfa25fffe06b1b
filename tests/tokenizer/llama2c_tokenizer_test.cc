#include "mixq/tokenizer/llama2c_tokenizer.h"

#include <cstring>

#include "mixq/tokenizer/sentencepiece_tokenizer.h"
#include "support/test_support.h"
#include "tokenizer/tokenizer_test_util.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;

std::unique_ptr<Llama2cTokenizer> LoadOrDie(const std::string& rel, int32_t vocab_size) {
  auto tok = Llama2cTokenizer::Load(SharedPath(rel), vocab_size);
  EXPECT_TRUE(tok.ok()) << tok.message();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

std::vector<int32_t> EncodeOrDie(const Tokenizer& tok, const std::string& text) {
  auto ids = tok.Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

// Appends one tokenizer.bin entry.
void AppendEntry(std::string* out, float score, const std::string& piece) {
  int32_t len = static_cast<int32_t>(piece.size());
  out->append(reinterpret_cast<const char*>(&score), 4);
  out->append(reinterpret_cast<const char*>(&len), 4);
  out->append(piece);
}

// A hand-made vocabulary whose merges can be worked out by hand.
std::string ToyTokenizerBin() {
  std::string bin;
  int32_t max_len = 4;
  bin.append(reinterpret_cast<const char*>(&max_len), 4);
  AppendEntry(&bin, 0, "<unk>");      // 0
  AppendEntry(&bin, 0, "\n<s>\n");    // 1
  AppendEntry(&bin, 0, "\n</s>\n");   // 2
  for (int b = 0; b < 256; ++b) {     // 3..258: byte tokens
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    AppendEntry(&bin, 0, name);
  }
  AppendEntry(&bin, -1, " ");     // 259
  AppendEntry(&bin, -1, "a");     // 260
  AppendEntry(&bin, -1, "b");     // 261
  AppendEntry(&bin, -2, "ab");    // 262
  AppendEntry(&bin, -3, " a");    // 263
  AppendEntry(&bin, -1.5, "aa");  // 264
  AppendEntry(&bin, -5, "aab");   // 265
  return bin;
}

TEST(Llama2cTokenizer, ToyMergesFollowScores) {
  const std::string path = testing::TempPath("toy.bin");
  testing::WriteStringToFile(path, ToyTokenizerBin());
  auto tok = Llama2cTokenizer::Load(path, 266);
  ASSERT_TRUE(tok.ok()) << tok.message();
  Llama2cTokenizer& t = **tok;
  EXPECT_EQ(t.vocab_size(), 266);
  EXPECT_EQ(t.max_token_length(), 4);
  // "ab": [" ", a, b] -> pairs " a"(-3), "ab"(-2): "ab" wins -> [" ", ab]; " ab" is no piece.
  EXPECT_EQ(EncodeOrDie(t, "ab"), (std::vector<int32_t>{259, 262}));
  // "aab": [" ",a,a,b]: "aa"(-1.5) beats "ab"(-2) and " a"(-3) -> [" ", aa, b] -> "aab"(-5).
  EXPECT_EQ(EncodeOrDie(t, "aab"), (std::vector<int32_t>{259, 265}));
  // "aaaa": ties between equal "aa" pairs go to the leftmost: [" ", aa, aa].
  EXPECT_EQ(EncodeOrDie(t, "aaaa"), (std::vector<int32_t>{259, 264, 264}));
  // "é" (C3 A9) is no piece: byte tokens at byte + 3.
  EXPECT_EQ(EncodeOrDie(t, "\xC3\xA9"), (std::vector<int32_t>{259, 0xC3 + 3, 0xA9 + 3}));
  EXPECT_TRUE(EncodeOrDie(t, "").empty());
  // Decoding: the space after BOS goes, byte pieces become bytes.
  EXPECT_EQ(t.DecodeToken(1, 263), "a");
  EXPECT_EQ(t.DecodeToken(260, 263), " a");
  EXPECT_EQ(t.DecodeToken(259, 0xC3 + 3), "\xC3");
  EXPECT_EQ(t.DecodeToken(1, 1), "\n<s>\n");
  EXPECT_EQ(t.Decode(EncodeOrDie(t, "ab aab \xC3\xA9")), "ab aab \xC3\xA9");
}

TEST(Llama2cTokenizer, Stories260KRoundTrip) {
  MIXQ_REQUIRE_SHARED("models/stories260K/tok512.bin");
  auto tok = LoadOrDie("models/stories260K/tok512.bin", 512);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_EQ(tok->piece(1), "\n<s>\n");
  EXPECT_EQ(tok->piece(3), "<0x00>");
  EXPECT_EQ(tok->piece(259), " t");
  const std::string story = testing::ReadFileToString(SharedPath("models/stories260K/expected-greedy-200.txt"));
  for (const std::string& text : testing::DiverseTexts()) EXPECT_EQ(tok->Decode(EncodeOrDie(*tok, text)), text);
  std::vector<int32_t> ids = EncodeOrDie(*tok, story);
  EXPECT_EQ(tok->Decode(ids), story);
  // The greedy story came from 200 generated tokens; re-encoding needs no more than that.
  EXPECT_LE(ids.size(), 200u);
  // "Once" is split as the model's merges dictate; the first piece starts with the dummy space.
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(tok->piece(ids[0])[0], ' ');
}

// tok105.bin was exported from tok105.model: the two must agree on the characters they share.
TEST(Llama2cTokenizer, Tok105AgreesWithSentencePiece) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/tok105.bin");
  auto bin = LoadOrDie("models/babyllama-1m/tok105.bin", 105);
  auto spm = SentencePieceTokenizer::Load(SharedPath("models/babyllama-1m/tok105.model"));
  ASSERT_TRUE(bin && spm.ok());
  for (const char* golden : {"models/babyllama-1m/golden_greedy_babyllama105_once-upon-a-time.txt",
                             "models/babyllama-1m/golden_greedy_babyllama361_once-upon-a-time.txt"}) {
    const std::string text = testing::ReadFileToString(SharedPath(golden));
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(EncodeOrDie(*bin, text), EncodeOrDie(**spm, text)) << golden;
    // '\n' is not among tok105's characters: it became <unk>, so compare the text before it.
    const std::string line = text.substr(0, text.find('\n'));
    EXPECT_EQ(bin->Decode(EncodeOrDie(*bin, line)), line);
  }
}

// tok361 = 3 specials + 256 byte tokens + tok105's 102 pieces in the same order.
TEST(Llama2cTokenizer, Tok361IsTok105ShiftedPlusBytes) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/tok361_reconstructed.bin");
  auto t361 = LoadOrDie("models/babyllama-1m/tok361_reconstructed.bin", 361);
  auto t105 = LoadOrDie("models/babyllama-1m/tok105.bin", 105);
  ASSERT_TRUE(t361 && t105);
  const std::string text = "Once upon a time, Lily said: \"Let's play!\"";
  std::vector<int32_t> ids105 = EncodeOrDie(*t105, text);
  for (int32_t& id : ids105) id += id >= 3 ? 256 : 0;
  EXPECT_EQ(EncodeOrDie(*t361, text), ids105);
  // Characters outside the 102 ('\n', 'ü'): byte fallback in 361, and a round trip.
  const std::string odd = "a\n\xC3\xBC\xC3\xBC";
  std::vector<int32_t> ids = EncodeOrDie(*t361, odd);
  std::vector<int32_t> expected = EncodeOrDie(*t361, "a");
  for (int32_t byte : {0x0A, 0xC3, 0xBC, 0xC3, 0xBC}) expected.push_back(byte + 3);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(t361->Decode(ids), odd);
  // tok105 has no byte tokens: like SentencePiece (and unlike run.c, which would emit byte + 3,
  // i.e. unrelated pieces), a run of unknown characters becomes one <unk>.
  auto spm = SentencePieceTokenizer::Load(SharedPath("models/babyllama-1m/tok105.model"));
  ASSERT_TRUE(spm.ok());
  EXPECT_EQ(EncodeOrDie(*t105, odd), EncodeOrDie(**spm, odd));
  EXPECT_EQ(EncodeOrDie(*t105, odd).back(), 0);
}

// Karpathy's tokenizer.bin is an export of Llama 2's tokenizer.model: ordinary text agrees.
TEST(Llama2cTokenizer, Llama2AgreesWithSentencePiece) {
  MIXQ_REQUIRE_SHARED("tokenizers/llama2-32k/tokenizer.bin");
  auto bin = LoadOrDie("tokenizers/llama2-32k/tokenizer.bin", 32000);
  auto spm = SentencePieceTokenizer::Load(SharedPath("tokenizers/llama2-32k/tokenizer.model"));
  ASSERT_TRUE(bin && spm.ok());
  EXPECT_EQ(bin->max_token_length(), 27);
  for (const std::string& text : testing::DiverseTexts()) {
    EXPECT_EQ(EncodeOrDie(*bin, text), EncodeOrDie(**spm, text)) << text;
    EXPECT_EQ(bin->Decode(EncodeOrDie(*bin, text)), text);
  }
}

TEST(Llama2cTokenizer, ReadsOnlyVocabSizeEntries) {
  const std::string path = testing::TempPath("toy.bin");
  testing::WriteStringToFile(path, ToyTokenizerBin());
  auto prefix = Llama2cTokenizer::Load(path, 262);
  ASSERT_TRUE(prefix.ok()) << prefix.message();
  EXPECT_EQ((*prefix)->vocab_size(), 262);
  EXPECT_EQ(EncodeOrDie(**prefix, "ab"), (std::vector<int32_t>{259, 260, 261}));  // no "ab" piece now
  auto all = Llama2cTokenizer::Load(path, 0);
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ((*all)->vocab_size(), 266);
}

TEST(Llama2cTokenizer, TruncatedFileFailsNamingTheToken) {
  std::string bin = ToyTokenizerBin();
  const std::string path = testing::TempPath("truncated.bin");
  testing::WriteStringToFile(path, bin.substr(0, bin.size() - 2));  // cut inside the last piece
  auto tok = Llama2cTokenizer::Load(path, 266);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find(path), std::string::npos) << tok.message();
  EXPECT_NE(tok.message().find("token 265"), std::string::npos) << tok.message();
  // More tokens asked for than the file holds.
  auto too_many = Llama2cTokenizer::Load(testing::TempPath("truncated.bin"), 300);
  ASSERT_FALSE(too_many.ok());
  auto empty_path = testing::TempPath("empty.bin");
  testing::WriteStringToFile(empty_path, "");
  EXPECT_FALSE(Llama2cTokenizer::Load(empty_path, 10).ok());
}

TEST(Llama2cTokenizer, MissingFile) {
  auto tok = Llama2cTokenizer::Load("/nonexistent/tokenizer.bin", 32000);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.message().find("/nonexistent/tokenizer.bin"), std::string::npos) << tok.message();
}

}  // namespace
}  // namespace mixq
