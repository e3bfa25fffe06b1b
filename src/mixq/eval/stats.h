// Statistics shared by perplexity, KL divergence and bench: running means with the standard
// error llama.cpp reports, percentiles, and log-softmax in double precision.
#pragma once

#include <cstdint>
#include <vector>

namespace mixq::eval {

// Mean of many samples with its standard error, accumulated in double.
// stderr = sqrt(population_variance / (n - 1)): the spread of the samples around their mean
// (divided by n) over n - 1, which is how llama.cpp's perplexity and KL-divergence tools report
// the uncertainty of a mean. 0 when n < 2.
class MeanAccumulator {
 public:
  void Add(double x) {
    sum_ += x;
    sum2_ += x * x;
    ++n_;
  }
  void Merge(const MeanAccumulator& other) {
    sum_ += other.sum_;
    sum2_ += other.sum2_;
    n_ += other.n_;
  }
  int64_t count() const { return n_; }
  double mean() const { return n_ == 0 ? 0.0 : sum_ / static_cast<double>(n_); }
  double StdErr() const;

 private:
  double sum_ = 0.0;
  double sum2_ = 0.0;
  int64_t n_ = 0;
};

// A fraction k/n with its binomial standard error sqrt(p (1 - p) / (n - 1)) (0 when n < 2).
struct Proportion {
  int64_t hits = 0;
  int64_t total = 0;
  double value() const { return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total); }
  double StdErr() const;
};

// Perplexity exp(mean) of per-token NLLs, and its uncertainty propagated from the standard
// error of the mean NLL to first order: d exp(m) = exp(m) dm, so ppl_stderr = ppl * nll_stderr.
struct PplEstimate {
  double mean_nll = 0.0;
  double nll_stderr = 0.0;
  double ppl = 0.0;
  double ppl_stderr = 0.0;
};
PplEstimate EstimatePpl(const MeanAccumulator& nll);

// The q-quantile (0 <= q <= 1) of `sorted` (ascending), interpolating linearly between the
// order statistics at rank q * (n - 1) (numpy's default "linear" method). 0 for empty input.
double Quantile(const std::vector<double>& sorted, double q);

// Sample mean and sample standard deviation (n - 1 in the denominator; 0 when n < 2).
struct MeanStd {
  double mean = 0.0;
  double stddev = 0.0;
};
MeanStd ComputeMeanStd(const std::vector<double>& samples);

// log-softmax of `n` logits into `out` (double): out[i] = x[i] - (max + log sum exp(x - max)).
// Returns the log-sum-exp. Summation is in double so NLLs do not depend on float rounding of
// large vocabularies.
double LogSoftmax(const float* logits, int64_t n, double* out);
// Just the log-sum-exp (same arithmetic as LogSoftmax).
double LogSumExp(const float* logits, int64_t n);

// Index of the largest value, the lowest index among ties.
int64_t ArgMax(const float* values, int64_t n);

}  // namespace mixq::eval
