// End-to-end correctness of the forward pass on real trained models against goldens produced
// by independent implementations (llama2.c run.c; a PyTorch reference for wiki-llama-8m).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>

#include "mixq/model/model.h"
#include "mixq/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace mixq {
namespace {

using testing::ReadFileToString;
using testing::SharedPath;

int32_t Argmax(const float* logits, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  return best;
}

// llama2.c's safe_printf: a single-byte piece that is neither printable nor whitespace is not
// printed.
std::string SafePiece(const std::string& piece) {
  if (piece.size() == 1) {
    const unsigned char b = static_cast<unsigned char>(piece[0]);
    if (!(std::isprint(b) || std::isspace(b))) return "";
  }
  return piece;
}

// Emulates llama2.c run.c generate() with temperature 0: the prompt is forced token by token,
// then argmax; `steps` counts positions including the prompt; stops at BOS.
std::string GenerateLikeLlama2c(const std::string& model_path, const std::string& tokenizer_path,
                                const std::string& prompt, int steps) {
  auto model = Model::Load(model_path);
  EXPECT_TRUE(model.ok()) << model.message();
  if (!model.ok()) return "";
  auto tokenizer = LoadTokenizer((*model)->files(), tokenizer_path);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.message();
  if (!tokenizer.ok()) return "";
  std::vector<int32_t> prompt_tokens = {(*tokenizer)->bos_id()};
  if (!prompt.empty()) {
    auto ids = (*tokenizer)->Encode(prompt);
    EXPECT_TRUE(ids.ok()) << ids.message();
    prompt_tokens.insert(prompt_tokens.end(), ids->begin(), ids->end());
  }
  InferenceSession session(*model, steps);
  Context ctx = Context::Default();
  std::string out;
  int32_t token = prompt_tokens[0];
  for (int pos = 0; pos < steps; ++pos) {
    Status st = session.Decode(ctx, {token}, false);
    EXPECT_TRUE(st.ok()) << st.message();
    const int32_t next = pos < static_cast<int>(prompt_tokens.size()) - 1
                             ? prompt_tokens[pos + 1]
                             : Argmax(session.logits(0), (*model)->config().vocab_size);
    if (next == 1) break;
    out += SafePiece((*tokenizer)->DecodeToken(token, next));
    token = next;
  }
  return out;
}

TEST(Golden, Stories260KGreedyFromBos200Steps) {
  MIXQ_REQUIRE_SHARED("models/stories260K/stories260K.bin");
  const std::string text = GenerateLikeLlama2c(SharedPath("models/stories260K/stories260K.bin"),
                                               SharedPath("models/stories260K/tok512.bin"), "", 200);
  EXPECT_EQ(text, ReadFileToString(SharedPath("models/stories260K/expected-greedy-200.txt")));
}

TEST(Golden, BabyLlama105OnceUponATime) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/babyllama105_model5000.bin");
  const std::string dir = SharedPath("models/babyllama-1m/");
  const std::string text =
      GenerateLikeLlama2c(dir + "babyllama105_model5000.bin", dir + "tok105.bin", "Once upon a time", 256);
  EXPECT_EQ(text + "\n", ReadFileToString(dir + "golden_greedy_babyllama105_once-upon-a-time.txt"));
}

TEST(Golden, BabyLlama361OnceUponATime) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/babyllama361_model5000.bin");
  const std::string dir = SharedPath("models/babyllama-1m/");
  const std::string text = GenerateLikeLlama2c(dir + "babyllama361_model5000.bin", dir + "tok361_reconstructed.bin",
                                               "Once upon a time", 256);
  EXPECT_EQ(text + "\n", ReadFileToString(dir + "golden_greedy_babyllama361_once-upon-a-time.txt"));
}

class WikiLlamaGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SharedExists("models/wiki-llama-8m/model.safetensors")) GTEST_SKIP() << "missing ../shared/models/wiki-llama-8m";
    golden_ = nlohmann::json::parse(ReadFileToString(SharedPath("models/wiki-llama-8m/golden.json")));
    auto model = Model::Load(SharedPath("models/wiki-llama-8m"));
    ASSERT_TRUE(model.ok()) << model.message();
    model_ = *model;
  }
  nlohmann::json golden_;
  std::shared_ptr<Model> model_;
};

// Tolerances from the model's README: logits within 2e-3 absolute; top-1 agrees wherever the
// golden top-1/top-2 gap exceeds 1e-2.
TEST_F(WikiLlamaGolden, LogitsMatchReference) {
  const int64_t vocab = model_->config().vocab_size;
  for (const auto& case_ : golden_["logits"]) {
    const std::vector<int32_t> ids = case_["ids"];
    InferenceSession session(model_, static_cast<int64_t>(ids.size()));
    ASSERT_TRUE(session.Decode(Context::Default(), ids, true).ok());
    for (size_t pos = 0; pos < ids.size(); ++pos) {
      const float* logits = session.logits(static_cast<int64_t>(pos));
      const std::vector<int32_t> top_ids = case_["top5_ids"][pos];
      const std::vector<double> top_logits = case_["top5_logits"][pos];
      for (size_t i = 0; i < top_ids.size(); ++i)
        EXPECT_NEAR(logits[top_ids[i]], top_logits[i], 2e-3) << "pos " << pos << " token " << top_ids[i];
      double max = logits[0], sum = 0;
      for (int64_t v = 0; v < vocab; ++v) max = std::max<double>(max, logits[v]);
      for (int64_t v = 0; v < vocab; ++v) sum += std::exp(logits[v] - max);
      EXPECT_NEAR(max + std::log(sum), case_["logsumexp"][pos].get<double>(), 2e-3) << "pos " << pos;
      if (top_logits[0] - top_logits[1] > 1e-2) {
        EXPECT_EQ(Argmax(logits, vocab), top_ids[0]) << "pos " << pos;
      }
    }
  }
}

TEST_F(WikiLlamaGolden, GreedyContinuationMatchesReference) {
  const auto& greedy = golden_["greedy"];
  std::vector<int32_t> ids = greedy["prompt_ids"];
  const std::vector<int32_t> expected = greedy["ids"];
  InferenceSession session(model_, static_cast<int64_t>(expected.size()));
  Context ctx = Context::Default();
  ASSERT_TRUE(session.Decode(ctx, ids, false).ok());
  while (ids.size() < expected.size()) {
    ids.push_back(Argmax(session.logits(0), model_->config().vocab_size));
    ASSERT_TRUE(session.Decode(ctx, {ids.back()}, false).ok());
  }
  EXPECT_EQ(ids, expected);
  auto tokenizer = LoadTokenizer(model_->files());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.message();
  std::vector<int32_t> text_ids(ids.begin() + 1, ids.end());
  EXPECT_EQ((*tokenizer)->Decode(text_ids), greedy["text"].get<std::string>());
}

}  // namespace
}  // namespace mixq
