#include "mixq/tokenizer/gguf_tokenizer.h"

#include <sstream>

#include "mixq/io/gguf.h"
#include "mixq/io/model_files.h"
#include "mixq/tokenizer/sentencepiece_tokenizer.h"
#include "support/test_support.h"
#include "tokenizer/tokenizer_test_util.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;

// llama.cpp's vocabulary test files: <name>.inp holds the inputs, each followed by
// "\n__ggml_vocab_test__\n"; <name>.out holds one line per input, the expected ids separated
// by spaces (with a leading space; an empty line for the empty input).
struct Vector {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Vector> ReadVectors(const std::string& rel) {
  const std::string inp = testing::ReadFileToString(SharedPath(rel + ".inp"));
  const std::string out = testing::ReadFileToString(SharedPath(rel + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<Vector> vectors;
  for (size_t pos = 0; pos < inp.size();) {
    size_t end = inp.find(sep, pos);
    if (end == std::string::npos) end = inp.size();
    vectors.push_back({inp.substr(pos, end - pos), {}});
    pos = end + sep.size();
  }
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line) && i < vectors.size(); ++i) {
    std::istringstream ids(line);
    int32_t id;
    while (ids >> id) vectors[i].ids.push_back(id);
  }
  EXPECT_EQ(i, vectors.size()) << rel << ": fewer output lines than inputs";
  return vectors;
}

std::unique_ptr<Tokenizer> LoadGgufVocab(const std::string& rel) {
  auto gguf = GgufFile::Open(SharedPath(rel));
  EXPECT_TRUE(gguf.ok()) << gguf.message();
  if (!gguf.ok()) return nullptr;
  auto tok = TokenizerFromGguf(**gguf);
  EXPECT_TRUE(tok.ok()) << tok.message();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

void CheckVectors(const std::string& rel, size_t expected_count) {
  auto tok = LoadGgufVocab(rel);
  ASSERT_TRUE(tok);
  const std::vector<Vector> vectors = ReadVectors(rel);
  EXPECT_EQ(vectors.size(), expected_count);
  size_t passed = 0;
  for (const Vector& v : vectors) {
    auto ids = tok->Encode(v.text);
    ASSERT_TRUE(ids.ok()) << ids.message();
    EXPECT_EQ(*ids, v.ids) << "input: \"" << v.text << "\"";
    passed += *ids == v.ids;
  }
  EXPECT_EQ(passed, vectors.size());
}

TEST(GgufTokenizer, LlamaSpmVectors) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  CheckVectors("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf", 46);
}

TEST(GgufTokenizer, Gpt2Vectors) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf");
  CheckVectors("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf", 46);
}

TEST(GgufTokenizer, LlamaSpmMetadataAndDecoding) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  auto tok = LoadGgufVocab("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_TRUE(tok->add_bos());
  // " Hello" is [29871 "▁", 15043 "▁Hello"] per the vectors: after BOS the first space goes.
  EXPECT_EQ(tok->Decode({1, 29871, 15043}), " Hello");
  EXPECT_EQ(tok->DecodeToken(1, 15043), "Hello");
  EXPECT_EQ(tok->DecodeToken(29871, 15043), " Hello");
  EXPECT_EQ(tok->DecodeToken(29871, 243), "\xF0");  // <0xF0>
  for (const std::string& text : testing::DiverseTexts()) EXPECT_EQ(tok->Decode(*tok->Encode(text)), text);
}

// The same Llama 2 vocabulary as a SentencePiece model: the two implementations agree.
TEST(GgufTokenizer, LlamaSpmAgreesWithLibSentencePiece) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  MIXQ_REQUIRE_SHARED("tokenizers/llama2-32k/tokenizer.model");
  auto tok = LoadGgufVocab("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf");
  auto spm = SentencePieceTokenizer::Load(SharedPath("tokenizers/llama2-32k/tokenizer.model"));
  ASSERT_TRUE(tok && spm.ok());
  std::vector<std::string> texts = testing::DiverseTexts();
  for (const Vector& v : ReadVectors("tokenizers/gguf-vocab/ggml-vocab-llama-spm.gguf")) texts.push_back(v.text);
  for (const std::string& text : texts) EXPECT_EQ(*tok->Encode(text), *(*spm)->Encode(text)) << text;
}

// wiki-llama-8m converted by llama.cpp: its GGUF vocabulary encodes as its tokenizer.model.
TEST(GgufTokenizer, WikiLlamaGgufMatchesItsSentencePieceModel) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf");
  MIXQ_REQUIRE_SHARED("data/text/wikitext2-test.raw");
  auto tok = LoadGgufVocab("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf");
  auto spm = SentencePieceTokenizer::Load(SharedPath("models/wiki-llama-8m/tokenizer.model"));
  ASSERT_TRUE(tok && spm.ok());
  EXPECT_EQ(tok->vocab_size(), 4096);
  std::vector<std::string> texts = testing::DiverseTexts();
  // The start of WikiText-2 (the perplexity text) as one document, as perplexity encodes it.
  texts.push_back(testing::ReadFileToString(SharedPath("data/text/wikitext2-test.raw")).substr(0, 100000));
  for (const std::string& text : texts) {
    const std::vector<int32_t> ids = *tok->Encode(text);
    EXPECT_EQ(ids, *(*spm)->Encode(text)) << text.substr(0, 100);
    EXPECT_EQ(tok->Decode(ids), (*spm)->Decode(ids));
  }
}

TEST(GgufTokenizer, Gpt2MetadataAndRoundTrip) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf");
  auto tok = LoadGgufVocab("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->vocab_size(), 50257);
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_EQ(tok->eos_id(), 50256);
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(*tok->Encode("<|endoftext|>"), (std::vector<int32_t>{50256}));  // control token cut out
  for (const std::string& text : testing::DiverseTexts()) EXPECT_EQ(tok->Decode(*tok->Encode(text)), text);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  EXPECT_EQ(tok->Decode(*tok->Encode(all_bytes)), all_bytes);  // GPT-2 has every byte
}

TEST(GgufTokenizer, LoadTokenizerUsesEmbeddedVocab) {
  MIXQ_REQUIRE_SHARED("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf");
  auto gguf = GgufFile::Open(SharedPath("tokenizers/gguf-vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  LoadedModel model;
  model.format = ModelFormat::kGguf;
  model.path = (*gguf)->path();
  model.gguf = *gguf;
  auto tok = LoadTokenizer(model);
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ(*(*tok)->Encode("Hello world"), (std::vector<int32_t>{15496, 995}));
  model.gguf = nullptr;
  EXPECT_FALSE(LoadTokenizer(model).ok());
}

}  // namespace
}  // namespace mixq
