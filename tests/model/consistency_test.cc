// Internal consistency of the forward pass: KV-cache decode equals a full recompute, thread
// count does not change results, every ISA agrees with the scalar reference.
#include <gtest/gtest.h>

#include <cmath>

#include "mixq/model/model.h"
#include "support/test_support.h"

namespace mixq {
namespace {

std::shared_ptr<Model> LoadOrSkip(const std::string& rel) {
  if (!testing::SharedExists(rel)) return nullptr;
  auto model = Model::Load(testing::SharedPath(rel));
  EXPECT_TRUE(model.ok()) << model.message();
  return model.ok() ? *model : nullptr;
}

std::vector<int32_t> SomeTokens(int64_t vocab, int n) {
  std::vector<int32_t> ids = {1};
  for (int i = 1; i < n; ++i) ids.push_back(static_cast<int32_t>((i * 7919 + 13) % vocab));
  return ids;
}

std::vector<float> AllLogits(std::shared_ptr<Model> model, const Context& ctx, const std::vector<int32_t>& ids,
                             int64_t chunk) {
  InferenceSession session(model, static_cast<int64_t>(ids.size()));
  std::vector<float> out;
  const int64_t vocab = model->config().vocab_size;
  for (size_t b = 0; b < ids.size(); b += static_cast<size_t>(chunk)) {
    std::vector<int32_t> part(ids.begin() + b, ids.begin() + std::min(ids.size(), b + chunk));
    EXPECT_TRUE(session.Decode(ctx, part, true).ok());
    for (int64_t i = 0; i < session.n_logits(); ++i) out.insert(out.end(), session.logits(i), session.logits(i) + vocab);
  }
  return out;
}

class ForwardConsistency : public ::testing::TestWithParam<std::string> {};

// Token-by-token decode through the KV cache gives the same logits as one prefill of the
// whole sequence, and as prefill in uneven chunks. The kernels compute every output in a fixed
// order whatever the batch, so this is exact.
TEST_P(ForwardConsistency, KvCacheDecodeEqualsFullRecompute) {
  auto model = LoadOrSkip(GetParam());
  if (!model) GTEST_SKIP() << "missing ../shared/" << GetParam();
  const auto ids = SomeTokens(model->config().vocab_size, 40);
  Context ctx = Context::Default();
  const auto full = AllLogits(model, ctx, ids, 40);
  const auto step = AllLogits(model, ctx, ids, 1);
  const auto chunked = AllLogits(model, ctx, ids, 7);
  ASSERT_EQ(full.size(), step.size());
  for (size_t i = 0; i < full.size(); ++i) {
    ASSERT_EQ(full[i], step[i]) << "logit " << i;
    ASSERT_EQ(full[i], chunked[i]) << "logit " << i;
  }
}

TEST_P(ForwardConsistency, MultiThreadedEqualsSingleThreaded) {
  auto model = LoadOrSkip(GetParam());
  if (!model) GTEST_SKIP() << "missing ../shared/" << GetParam();
  const auto ids = SomeTokens(model->config().vocab_size, 24);
  Context one = Context::Default(), many = Context::Default();
  one.SetThreads(1);
  many.SetThreads(4);
  EXPECT_EQ(AllLogits(model, one, ids, 24), AllLogits(model, many, ids, 24));
}

// SIMD and scalar kernels sum in different orders; after L layers the logits differ by a few
// f32 rounding steps relative to their scale. Bound: 1e-4 * (1 + max |logit|).
TEST_P(ForwardConsistency, EveryIsaAgreesWithReference) {
  auto model = LoadOrSkip(GetParam());
  if (!model) GTEST_SKIP() << "missing ../shared/" << GetParam();
  const auto ids = SomeTokens(model->config().vocab_size, 16);
  Context ref;
  ref.isa = Isa::kRef;
  const auto expected = AllLogits(model, ref, ids, 16);
  double scale = 0;
  for (float v : expected) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!IsaSupported(isa)) continue;
    Context ctx;
    ctx.isa = isa;
    const auto got = AllLogits(model, ctx, ids, 16);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-4 * (1 + scale)) << IsaName(isa) << " " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(SharedModels, ForwardConsistency,
                         ::testing::Values("models/stories260K/stories260K.bin", "models/wiki-llama-8m"),
                         [](const auto& info) { return info.index == 0 ? std::string("stories260K") : std::string("wiki_llama_8m"); });

TEST(Decode, RejectsOverflowAndBadTokens) {
  auto model = LoadOrSkip("models/stories260K/stories260K.bin");
  if (!model) GTEST_SKIP() << "missing ../shared/models/stories260K";
  InferenceSession session(model, 4);
  Context ctx;
  Status bad = session.Decode(ctx, {1, 600}, false);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("600"), std::string::npos);
  EXPECT_EQ(session.n_past(), 0);
  EXPECT_TRUE(session.Decode(ctx, {1, 2, 3}, false).ok());
  Status full = session.Decode(ctx, {4, 5}, false);
  EXPECT_FALSE(full.ok());
  EXPECT_NE(full.message().find("context full"), std::string::npos);
  EXPECT_EQ(session.n_past(), 3);
  EXPECT_FALSE(session.Decode(ctx, {}, false).ok());
}

}  // namespace
}  // namespace mixq
