// Perplexity and KL divergence on real models: the wiki-llama-8m golden (llama.cpp's method,
// reproduced by an independent PyTorch implementation), a model against itself, baselines that
// do not match, and batch-size invariance. Kept to a few chunks so the suite stays fast.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

#include "mixq/eval/perplexity.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/model/model.h"
#include "mixq/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::SharedPath;

constexpr char kWikiModel[] = "models/wiki-llama-8m";
constexpr char kWikiText[] = "data/text/wikitext2-test.raw";

// wiki-llama-8m with the wikitext-2 test set tokenized as the golden defines it (CRLF -> LF,
// BOS + encode), loaded once for the whole suite.
class WikiPerplexity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!::mixq::testing::SharedExists(kWikiModel) || !::mixq::testing::SharedExists(kWikiText)) return;
    auto model = Model::Load(SharedPath(kWikiModel));
    ASSERT_TRUE(model.ok()) << model.message();
    model_ = *model;
    auto tokenizer = LoadTokenizer(model_->files());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.message();
    auto text = ReadTextFile(SharedPath(kWikiText), /*crlf_to_lf=*/true);
    ASSERT_TRUE(text.ok()) << text.message();
    auto tokens = TokenizeForPerplexity(**tokenizer, *text);
    ASSERT_TRUE(tokens.ok()) << tokens.message();
    tokens_ = new std::vector<int32_t>(std::move(*tokens));
    bos_ = (*tokenizer)->bos_id();
  }
  static void TearDownTestSuite() {
    model_.reset();
    delete tokens_;
    tokens_ = nullptr;
  }
  void SetUp() override {
    MIXQ_REQUIRE_SHARED(kWikiModel);
    MIXQ_REQUIRE_SHARED(kWikiText);
    ASSERT_TRUE(model_ && tokens_);
  }

  static Result<PerplexityResult> Run(const PerplexityOptions& o, const std::vector<int32_t>* tokens = nullptr) {
    return RunPerplexity(Context::Default(), model_, tokens ? *tokens : *tokens_, bos_, o);
  }

  static std::shared_ptr<const Model> model_;
  static std::vector<int32_t>* tokens_;
  static int32_t bos_;
};
std::shared_ptr<const Model> WikiPerplexity::model_;
std::vector<int32_t>* WikiPerplexity::tokens_ = nullptr;
int32_t WikiPerplexity::bos_ = -1;

PerplexityOptions Options(int64_t n_ctx, int64_t chunks) {
  PerplexityOptions o;
  o.n_ctx = n_ctx;
  o.n_batch = n_ctx;
  o.max_chunks = chunks;
  return o;
}

TEST_F(WikiPerplexity, GoldenFirst20Chunks) {
  const auto golden = nlohmann::json::parse(
      ::mixq::testing::ReadFileToString(SharedPath("models/wiki-llama-8m/golden.json")))["perplexity_wikitext2_test"];
  EXPECT_EQ(static_cast<int64_t>(tokens_->size()), golden["n_tokens_with_bos"].get<int64_t>());

  auto r = Run(Options(256, 20));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->layout.n_chunks, 20);
  EXPECT_EQ(r->layout.n_scored, golden["scored_per_chunk"].get<int64_t>());
  const double want = golden["mean_nll_first_20_chunks"].get<double>();
  EXPECT_NEAR(r->ppl.mean_nll, want, 1e-3 * want);
  const auto& chunks = golden["per_chunk_mean_nll_first_20"];
  ASSERT_EQ(r->chunk_mean_nll.size(), chunks.size());
  for (size_t c = 0; c < chunks.size(); ++c)
    EXPECT_NEAR(r->chunk_mean_nll[c], chunks[c].get<double>(), 1e-3 * chunks[c].get<double>()) << "chunk " << c;
  EXPECT_NEAR(r->ppl.ppl, std::exp(r->ppl.mean_nll), 1e-9 * r->ppl.ppl);
  EXPECT_NEAR(r->ppl.ppl_stderr, r->ppl.ppl * r->ppl.nll_stderr, 1e-9 * r->ppl.ppl);
}

TEST_F(WikiPerplexity, BatchSizeDoesNotChangeTheResult) {
  PerplexityOptions whole = Options(128, 2), split = Options(128, 2);
  split.n_batch = 48;  // 48 + 48 + 32: batches straddle the start of the scored half
  auto a = Run(whole);
  auto b = Run(split);
  ASSERT_TRUE(a.ok() && b.ok()) << a.message() << b.message();
  EXPECT_NEAR(a->ppl.mean_nll, b->ppl.mean_nll, 1e-4);
}

TEST_F(WikiPerplexity, ModelAgainstItselfHasZeroKld) {
  const std::string base = ::mixq::testing::TempPath("wiki.logits");
  PerplexityOptions save = Options(256, 3);
  save.save_logits_path = base;
  auto saved = Run(save);
  ASSERT_TRUE(saved.ok()) << saved.message();
  EXPECT_FALSE(saved->has_kld);

  PerplexityOptions compare = Options(256, 3);
  compare.kld_base_path = base;
  auto r = Run(compare);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_TRUE(r->has_kld);
  EXPECT_EQ(r->kld.n_positions, 3 * 127);
  EXPECT_LT(r->kld.mean, 1e-6);
  EXPECT_GE(r->kld.min, -1e-12);
  EXPECT_LT(r->kld.max, 1e-5);
  EXPECT_EQ(r->kld.same_top1, 1.0);
  EXPECT_EQ(r->ppl.mean_nll, saved->ppl.mean_nll);  // deterministic
  EXPECT_NEAR(r->kld.base_ppl.ppl, r->ppl.ppl, 1e-4 * r->ppl.ppl);
  EXPECT_NEAR(r->kld.mean_ln_ppl_ratio, 0.0, 1e-6);

  // Without a text, the baseline's own tokens and BOS are evaluated; a prefix of its chunks works.
  PerplexityOptions tokens_from_base = Options(256, 2);
  tokens_from_base.kld_base_path = base;
  auto again = RunPerplexity(Context::Default(), model_, {}, -1, tokens_from_base);
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(again->layout.n_chunks, 2);
  EXPECT_EQ(again->layout.bos_id, bos_);
  EXPECT_NEAR(again->chunk_mean_nll[1], saved->chunk_mean_nll[1], 1e-12);
  EXPECT_LT(again->kld.mean, 1e-6);
}

TEST_F(WikiPerplexity, GgufF16AgainstTheHfBaseline) {
  // llama.cpp's F16 conversion of the same BF16 weights: a different file format, loader and
  // RoPE layout, yet (nearly) the same distribution. Settings and tokens come from the baseline.
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf");
  const std::string base = ::mixq::testing::TempPath("wiki.logits");
  PerplexityOptions save = Options(256, 2);
  save.save_logits_path = base;
  auto saved = Run(save);
  ASSERT_TRUE(saved.ok()) << saved.message();

  auto gguf = Model::Load(SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf"));
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  PerplexityOptions compare;
  compare.kld_base_path = base;
  auto r = RunPerplexity(Context::Default(), *gguf, {}, -1, compare);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->layout.n_ctx, 256);
  EXPECT_EQ(r->layout.n_chunks, 2);
  EXPECT_LT(r->kld.mean, 1e-5);
  EXPECT_GE(r->kld.same_top1, 0.99);
  EXPECT_NEAR(r->ppl.mean_nll, saved->ppl.mean_nll, 1e-3);
}

TEST_F(WikiPerplexity, MismatchedBaselineIsRefused) {
  const std::string base = ::mixq::testing::TempPath("wiki.logits");
  PerplexityOptions save = Options(128, 2);
  save.save_logits_path = base;
  ASSERT_TRUE(Run(save).ok());

  auto expect_refused = [&](const PerplexityOptions& o, const std::vector<int32_t>* tokens, const std::string& field) {
    auto r = Run(o, tokens);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_NE(r.message().find(base), std::string::npos) << r.message();
    EXPECT_NE(r.message().find(field), std::string::npos) << r.message();
  };
  PerplexityOptions other_ctx = Options(64, 2);
  other_ctx.kld_base_path = base;
  expect_refused(other_ctx, nullptr, "n_ctx");
  PerplexityOptions more = Options(128, 3);
  more.kld_base_path = base;
  expect_refused(more, nullptr, "n_chunks");
  std::vector<int32_t> shifted(tokens_->begin() + 1, tokens_->end());
  PerplexityOptions same = Options(128, 2);
  same.kld_base_path = base;
  expect_refused(same, &shifted, "tokens differ at index 0");
}

TEST_F(WikiPerplexity, UnwritableBaselinePathFailsBeforeEvaluating) {
  const std::string base = ::mixq::testing::TempPath("bad-dir/x.logits");  // the directory does not exist
  PerplexityOptions save = Options(128, 1);
  save.save_logits_path = base;
  auto r = Run(save);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("bad-dir/x.logits.tmp."), std::string::npos) << r.message();
}

}  // namespace
}  // namespace mixq::eval
