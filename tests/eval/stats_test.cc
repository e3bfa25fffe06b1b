#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mixq/eval/kld.h"
#include "mixq/eval/stats.h"

namespace mixq::eval {
namespace {

TEST(Stats, MeanAndStdErrAsLlamaCppReportsThem) {
  MeanAccumulator acc;
  for (double x : {1.0, 2.0, 3.0, 4.0}) acc.Add(x);
  EXPECT_EQ(acc.count(), 4);
  EXPECT_DOUBLE_EQ(acc.mean(), 2.5);
  // population variance 1.25, over n - 1 = 3
  EXPECT_NEAR(acc.StdErr(), std::sqrt(1.25 / 3.0), 1e-12);
}

TEST(Stats, StdErrOfFewerThanTwoSamplesIsZero) {
  MeanAccumulator acc;
  EXPECT_EQ(acc.StdErr(), 0.0);
  acc.Add(7.0);
  EXPECT_EQ(acc.StdErr(), 0.0);
  EXPECT_EQ(acc.mean(), 7.0);
}

TEST(Stats, PplUncertaintyPropagatesNllStdErr) {
  MeanAccumulator nll;
  for (double x : {1.0, 2.0, 3.0, 4.0}) nll.Add(x);
  const PplEstimate e = EstimatePpl(nll);
  EXPECT_DOUBLE_EQ(e.mean_nll, 2.5);
  EXPECT_NEAR(e.ppl, 12.182493960703473, 1e-9);  // e^2.5
  EXPECT_NEAR(e.nll_stderr, 0.6454972243679028, 1e-12);
  EXPECT_NEAR(e.ppl_stderr, 12.182493960703473 * 0.6454972243679028, 1e-9);
  // The wiki-llama-8m golden: PPL 278.0545 with NLL stderr 0.005746 is reported by llama.cpp as
  // +- 1.59764, i.e. PPL * stderr.
  EXPECT_NEAR(278.0545 * 0.005746, 1.5977, 1e-3);
}

TEST(Stats, MergeEqualsAddingEverything) {
  MeanAccumulator a, b, all;
  for (double x : {0.5, 1.5, 9.0}) a.Add(x), all.Add(x);
  for (double x : {2.0, -1.0}) b.Add(x), all.Add(x);
  a.Merge(b);
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  EXPECT_DOUBLE_EQ(a.StdErr(), all.StdErr());
}

TEST(Stats, ProportionStdErr) {
  Proportion p{3, 4};
  EXPECT_DOUBLE_EQ(p.value(), 0.75);
  EXPECT_NEAR(p.StdErr(), 0.25, 1e-12);  // sqrt(0.75 * 0.25 / 3)
  EXPECT_EQ((Proportion{5, 5}).StdErr(), 0.0);
  EXPECT_EQ((Proportion{0, 0}).value(), 0.0);
}

TEST(Stats, QuantileInterpolatesLinearly) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(Quantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(Quantile(v, 0.5), 3.0);
  EXPECT_NEAR(Quantile(v, 0.9), 4.6, 1e-12);
  EXPECT_NEAR(Quantile(v, 0.999), 4.996, 1e-12);
  EXPECT_DOUBLE_EQ(Quantile(v, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(Quantile({2.0, 4.0}, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(Quantile({7.0}, 0.99), 7.0);
  EXPECT_EQ(Quantile({}, 0.5), 0.0);
}

TEST(Stats, MeanStdUsesSampleStddev) {
  const MeanStd m = ComputeMeanStd({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(m.mean, 5.0);
  EXPECT_NEAR(m.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_EQ(ComputeMeanStd({3.0}).stddev, 0.0);
}

TEST(Stats, LogSoftmaxIsNormalisedAndShiftInvariant) {
  const std::vector<float> logits = {1000.0f, 1001.0f, 999.0f};  // would overflow without the max shift
  std::vector<double> lp(3);
  LogSoftmax(logits.data(), 3, lp.data());
  double sum = 0.0;
  for (double x : lp) sum += std::exp(x);
  EXPECT_NEAR(sum, 1.0, 1e-12);
  const double z = std::log(std::exp(0.0) + std::exp(1.0) + std::exp(-1.0));
  EXPECT_NEAR(lp[1], 1.0 - z, 1e-12);
  EXPECT_NEAR(LogSumExp(logits.data(), 3), 1000.0 + z, 1e-9);
}

TEST(Stats, ArgMaxPicksLowestIdOnTies) {
  const std::vector<float> v = {1.0f, 3.0f, 3.0f, 2.0f};
  EXPECT_EQ(ArgMax(v.data(), 4), 1);
}

TEST(Kld, HandComputedTwoPointDistributions) {
  // KL([.5,.5] || [.25,.75]) = .5 ln 2 + .5 ln(2/3) = .5 ln(4/3)
  const double p[] = {std::log(0.5), std::log(0.5)};
  const double q[] = {std::log(0.25), std::log(0.75)};
  EXPECT_NEAR(KlDivergence(p, q, 2), 0.5 * std::log(4.0 / 3.0), 1e-12);
  EXPECT_NEAR(KlDivergence(p, q, 2), 0.14384103622589045, 1e-12);
  EXPECT_NEAR(KlDivergence(p, p, 2), 0.0, 1e-15);
  // KL([1,0,0] || [.5,.25,.25]) = ln 2 (zero-probability terms contribute nothing)
  const double one[] = {0.0, -INFINITY, -INFINITY};
  const double r[] = {std::log(0.5), std::log(0.25), std::log(0.25)};
  EXPECT_NEAR(KlDivergence(one, r, 3), std::log(2.0), 1e-12);
}

TEST(Kld, AccumulatorSummary) {
  KldAccumulator acc;
  // Five positions with KLD 0..4; the first four agree on the top token.
  for (int i = 0; i < 5; ++i) {
    KldPosition p;
    p.kld = i;
    p.same_top1 = i < 4;
    p.base_target_lp = std::log(0.5);
    p.current_target_lp = std::log(0.25);
    acc.Add(p);
  }
  const KldSummary s = acc.Summarize();
  EXPECT_EQ(s.n_positions, 5);
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_NEAR(s.mean_stderr, std::sqrt(2.0 / 4.0), 1e-12);  // population variance 2, over n - 1
  EXPECT_DOUBLE_EQ(s.min, 0.0);
  EXPECT_DOUBLE_EQ(s.median, 2.0);
  EXPECT_NEAR(s.p90, 3.6, 1e-12);
  EXPECT_NEAR(s.p99, 3.96, 1e-12);
  EXPECT_DOUBLE_EQ(s.max, 4.0);
  EXPECT_DOUBLE_EQ(s.same_top1, 0.8);
  EXPECT_NEAR(s.same_top1_stderr, std::sqrt(0.8 * 0.2 / 4.0), 1e-12);
  EXPECT_NEAR(s.base_ppl.ppl, 2.0, 1e-12);
  EXPECT_NEAR(s.mean_ln_ppl_ratio, std::log(2.0), 1e-12);  // PPL 4 vs 2
  EXPECT_NEAR(s.mean_delta_p, -0.25, 1e-12);
  EXPECT_NEAR(s.rms_delta_p, 0.25, 1e-12);
}

}  // namespace
}  // namespace mixq::eval
