#include "mixq/eval/kld.h"

#include <algorithm>
#include <cmath>

namespace mixq::eval {

double KlDivergence(const double* log_p, const double* log_q, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double p = std::exp(log_p[i]);
    if (p > 0.0) sum += p * (log_p[i] - log_q[i]);
  }
  return sum;
}

KldPosition ComparePosition(const LogProbRow& base, const float* logits, int64_t vocab, int32_t target,
                            std::vector<double>* scratch) {
  scratch->resize(2 * static_cast<size_t>(vocab));
  double* log_p = scratch->data();
  double* log_q = log_p + vocab;
  DecodeLogProbRow(base, vocab, log_p);
  LogSoftmax(logits, vocab, log_q);
  KldPosition r;
  r.kld = KlDivergence(log_p, log_q, vocab);
  r.same_top1 = ArgMax(logits, vocab) == base.top1;
  r.base_target_lp = base.target_lp;
  r.current_target_lp = log_q[target];
  return r;
}

void KldAccumulator::Add(const KldPosition& position) {
  klds_.push_back(position.kld);
  kld_.Add(position.kld);
  base_nll_.Add(-position.base_target_lp);
  ln_ratio_.Add(position.base_target_lp - position.current_target_lp);
  const double dp = std::exp(position.current_target_lp) - std::exp(position.base_target_lp);
  delta_p_.Add(dp);
  delta_p2_ += dp * dp;
  same_top1_.total += 1;
  same_top1_.hits += position.same_top1 ? 1 : 0;
}

KldSummary KldAccumulator::Summarize() const {
  KldSummary s;
  s.n_positions = count();
  s.mean = kld_.mean();
  s.mean_stderr = kld_.StdErr();
  std::vector<double> sorted = klds_;
  std::sort(sorted.begin(), sorted.end());
  s.min = Quantile(sorted, 0.0);
  s.p01 = Quantile(sorted, 0.01);
  s.p05 = Quantile(sorted, 0.05);
  s.p10 = Quantile(sorted, 0.10);
  s.median = Quantile(sorted, 0.5);
  s.p90 = Quantile(sorted, 0.90);
  s.p95 = Quantile(sorted, 0.95);
  s.p99 = Quantile(sorted, 0.99);
  s.p999 = Quantile(sorted, 0.999);
  s.max = Quantile(sorted, 1.0);
  s.same_top1 = same_top1_.value();
  s.same_top1_stderr = same_top1_.StdErr();
  s.base_ppl = EstimatePpl(base_nll_);
  s.mean_ln_ppl_ratio = ln_ratio_.mean();
  s.ln_ppl_ratio_stderr = ln_ratio_.StdErr();
  s.mean_delta_p = delta_p_.mean();
  s.delta_p_stderr = delta_p_.StdErr();
  s.rms_delta_p = s.n_positions > 0 ? std::sqrt(delta_p2_ / static_cast<double>(s.n_positions)) : 0.0;
  return s;
}

}  // namespace mixq::eval
