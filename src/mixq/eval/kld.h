// KL divergence of the current model from a saved baseline, position by position, and the
// summary `mixq perplexity --kld-base` prints (llama.cpp's --kl-divergence statistics).
#pragma once

#include <cstdint>
#include <vector>

#include "mixq/eval/logits_file.h"
#include "mixq/eval/stats.h"

namespace mixq::eval {

// One scored position compared with its baseline row.
struct KldPosition {
  double kld = 0.0;        // KL(P_base || P_current) = sum_i p_i (log p_i - log q_i), nats
  bool same_top1 = false;  // the current argmax equals the baseline's
  double base_target_lp = 0.0;     // log P_base(next token), exact (stored in the row)
  double current_target_lp = 0.0;  // log P_current(next token)
};

// Compares `logits` ({vocab} floats of the current model) with `base`. `scratch` holds two
// {vocab} double vectors between calls.
KldPosition ComparePosition(const LogProbRow& base, const float* logits, int64_t vocab, int32_t target,
                            std::vector<double>* scratch);
// KL(P || Q) of two normalised log-probability vectors ({n} doubles each).
double KlDivergence(const double* log_p, const double* log_q, int64_t n);

struct KldSummary {
  int64_t n_positions = 0;
  double mean = 0.0;  // mean KLD with its standard error (as in MeanAccumulator)
  double mean_stderr = 0.0;
  // Percentiles of the per-position KLD (linear interpolation, see Quantile).
  double min = 0.0, p01 = 0.0, p05 = 0.0, p10 = 0.0, median = 0.0, p90 = 0.0, p95 = 0.0, p99 = 0.0, p999 = 0.0,
         max = 0.0;
  double same_top1 = 0.0;  // fraction of positions whose top-1 token agrees, with its stderr
  double same_top1_stderr = 0.0;
  PplEstimate base_ppl;    // the baseline's perplexity over the same positions
  // mean of ln P_base(next) - ln P_current(next) = ln(PPL_current / PPL_base), with stderr
  double mean_ln_ppl_ratio = 0.0;
  double ln_ppl_ratio_stderr = 0.0;
  // Change of the next token's probability, p_current - p_base: mean (with stderr) and RMS.
  double mean_delta_p = 0.0;
  double delta_p_stderr = 0.0;
  double rms_delta_p = 0.0;
};

class KldAccumulator {
 public:
  void Add(const KldPosition& position);
  int64_t count() const { return static_cast<int64_t>(klds_.size()); }
  double mean() const { return kld_.mean(); }
  KldSummary Summarize() const;

 private:
  std::vector<double> klds_;  // every position's KLD, for the percentiles
  MeanAccumulator kld_;
  MeanAccumulator base_nll_;
  MeanAccumulator ln_ratio_;
  MeanAccumulator delta_p_;
  double delta_p2_ = 0.0;
  Proportion same_top1_;
};

}  // namespace mixq::eval
