#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "mixq/eval/sampler.h"

namespace mixq::eval {
namespace {

std::vector<float> LogOf(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

std::map<int32_t, int> Histogram(Sampler& s, const std::vector<float>& logits, int draws) {
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) ++h[s.Sample(logits.data(), static_cast<int64_t>(logits.size()))];
  return h;
}

TEST(Sampler, GreedyTakesArgmaxLowestIdOnTies) {
  Sampler s(SamplerOptions{});
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.Sample(logits.data(), 4), 1);
  SamplerOptions negative;
  negative.temperature = -1.0f;
  Sampler g(negative);
  EXPECT_EQ(g.Sample(logits.data(), 4), 1);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
  const std::vector<float> logits = LogOf({0.2, 0.2, 0.2, 0.2, 0.2});
  SamplerOptions o;
  o.temperature = 1.0f;
  o.seed = 42;
  Sampler a(o), b(o);
  o.seed = 43;
  Sampler c(o);
  std::vector<int32_t> sa, sb, sc;
  for (int i = 0; i < 100; ++i) {
    sa.push_back(a.Sample(logits.data(), 5));
    sb.push_back(b.Sample(logits.data(), 5));
    sc.push_back(c.Sample(logits.data(), 5));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(Sampler, FrequenciesFollowTheDistribution) {
  SamplerOptions o;
  o.temperature = 1.0f;
  o.seed = 7;
  Sampler s(o);
  const auto h = Histogram(s, LogOf({0.5, 0.3, 0.2}), 20000);
  EXPECT_NEAR(h.at(0) / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(h.at(1) / 20000.0, 0.3, 0.02);
  EXPECT_NEAR(h.at(2) / 20000.0, 0.2, 0.02);
}

TEST(Sampler, TemperatureSharpens) {
  SamplerOptions o;
  o.temperature = 0.5f;  // p ~ p^2: {.36, .16} -> {.692, .308}
  o.seed = 9;
  Sampler s(o);
  const auto h = Histogram(s, LogOf({0.6, 0.4}), 20000);
  EXPECT_NEAR(h.at(0) / 20000.0, 0.36 / 0.52, 0.02);
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  SamplerOptions o;
  o.temperature = 1.0f;
  o.top_k = 2;
  o.seed = 3;
  Sampler s(o);
  const auto h = Histogram(s, LogOf({0.1, 0.4, 0.15, 0.35}), 5000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_GT(h.at(1), 0);
  EXPECT_GT(h.at(3), 0);
  EXPECT_NEAR(h.at(1) / 5000.0, 0.4 / 0.75, 0.03);  // renormalised over the kept two

  o.top_k = 1;
  Sampler one(o);
  const auto h1 = Histogram(one, LogOf({0.1, 0.4, 0.15, 0.35}), 200);
  EXPECT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1.begin()->first, 1);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  const std::vector<float> logits = LogOf({0.15, 0.5, 0.05, 0.3});
  SamplerOptions o;
  o.temperature = 1.0f;
  o.seed = 5;
  o.top_p = 0.75f;  // 0.5 < 0.75 <= 0.5 + 0.3: keeps ids 1 and 3
  Sampler s(o);
  const auto h = Histogram(s, logits, 5000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_NEAR(h.at(1) / 5000.0, 0.5 / 0.8, 0.03);
  EXPECT_GT(h.at(3), 0);

  o.top_p = 0.45f;  // the top token alone already reaches it
  Sampler top(o);
  const auto h1 = Histogram(top, logits, 500);
  EXPECT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1.begin()->first, 1);
}

TEST(Sampler, TopKThenTopP) {
  // top_k = 3 keeps {.4,.3,.2} (renormalised .444,.333,.222); top_p = .7 then keeps the top two.
  SamplerOptions o;
  o.temperature = 1.0f;
  o.top_k = 3;
  o.top_p = 0.7f;
  o.seed = 11;
  Sampler s(o);
  const auto h = Histogram(s, LogOf({0.1, 0.4, 0.3, 0.2}), 3000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_TRUE(h.count(1) && h.count(2));
}

TEST(Sampler, SingleTokenVocab) {
  SamplerOptions o;
  o.temperature = 0.8f;
  Sampler s(o);
  const float logit = 0.0f;
  EXPECT_EQ(s.Sample(&logit, 1), 0);
}

}  // namespace
}  // namespace mixq::eval
