#include "mixq/eval/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mixq/eval/stats.h"

namespace mixq::eval {

Sampler::Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}

int32_t Sampler::Sample(const float* logits, int64_t vocab) {
  if (options_.temperature <= 0.0f || vocab == 1) return static_cast<int32_t>(ArgMax(logits, vocab));

  // Rank candidates: highest logit first, lower id first among equals.
  const auto better = [logits](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  order_.resize(static_cast<size_t>(vocab));
  std::iota(order_.begin(), order_.end(), 0);
  int64_t n = vocab;
  if (options_.top_k > 0 && options_.top_k < vocab) {
    n = options_.top_k;
    std::partial_sort(order_.begin(), order_.begin() + n, order_.end(), better);
    order_.resize(static_cast<size_t>(n));
  } else {
    std::sort(order_.begin(), order_.end(), better);
  }

  // Softmax of logits / temperature over the candidates (order_[0] holds the max).
  const double inv_t = 1.0 / options_.temperature;
  const double max = logits[order_[0]];
  probs_.resize(static_cast<size_t>(n));
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    probs_[i] = std::exp((logits[order_[i]] - max) * inv_t);
    total += probs_[i];
  }

  // Top-p: the shortest prefix whose mass reaches top_p (at least one token).
  if (options_.top_p < 1.0f) {
    const double target = static_cast<double>(options_.top_p) * total;
    double cum = 0.0;
    int64_t keep = n;
    for (int64_t i = 0; i < n; ++i) {
      cum += probs_[i];
      if (cum >= target) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
    total = cum;
  }

  // One draw with 53 random bits; the last candidate absorbs rounding.
  const double u = static_cast<double>(rng_.NextU64() >> 11) * (1.0 / 9007199254740992.0) * total;
  double cum = 0.0;
  for (int64_t i = 0; i < n - 1; ++i) {
    cum += probs_[i];
    if (u < cum) return order_[i];
  }
  return order_[n - 1];
}

}  // namespace mixq::eval
