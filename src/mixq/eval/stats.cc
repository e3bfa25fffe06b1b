#include "mixq/eval/stats.h"

#include <algorithm>
#include <cmath>

namespace mixq::eval {

double MeanAccumulator::StdErr() const {
  if (n_ < 2) return 0.0;
  const double n = static_cast<double>(n_);
  const double m = sum_ / n;
  const double variance = sum2_ / n - m * m;  // population variance
  return variance > 0.0 ? std::sqrt(variance / (n - 1.0)) : 0.0;
}

double Proportion::StdErr() const {
  if (total < 2) return 0.0;
  const double p = value();
  return std::sqrt(p * (1.0 - p) / static_cast<double>(total - 1));
}

PplEstimate EstimatePpl(const MeanAccumulator& nll) {
  PplEstimate e;
  e.mean_nll = nll.mean();
  e.nll_stderr = nll.StdErr();
  e.ppl = std::exp(e.mean_nll);
  e.ppl_stderr = e.ppl * e.nll_stderr;
  return e;
}

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

MeanStd ComputeMeanStd(const std::vector<double>& samples) {
  MeanStd r;
  if (samples.empty()) return r;
  double sum = 0.0;
  for (double x : samples) sum += x;
  r.mean = sum / static_cast<double>(samples.size());
  if (samples.size() < 2) return r;
  double ss = 0.0;
  for (double x : samples) ss += (x - r.mean) * (x - r.mean);
  r.stddev = std::sqrt(ss / static_cast<double>(samples.size() - 1));
  return r;
}

double LogSumExp(const float* logits, int64_t n) {
  float max = logits[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, logits[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  return static_cast<double>(max) + std::log(sum);
}

double LogSoftmax(const float* logits, int64_t n, double* out) {
  const double lse = LogSumExp(logits, n);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(logits[i]) - lse;
  return lse;
}

int64_t ArgMax(const float* values, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

}  // namespace mixq::eval
