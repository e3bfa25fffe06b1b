// Next-token sampling from one row of logits: greedy, or temperature + top-k + top-p with a
// seeded mixq::Rng so a given seed always produces the same tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "mixq/base/rng.h"

namespace mixq::eval {

struct SamplerOptions {
  float temperature = 0.0f;  // <= 0: greedy (argmax, lowest id on ties)
  int32_t top_k = 0;         // keep the k most likely tokens; <= 0 or >= vocab: all
  float top_p = 1.0f;        // keep the smallest most-likely set with mass >= top_p; >= 1: all
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerOptions& options);

  // Picks a token id in [0, vocab) from `logits` ({vocab} floats, unnormalised).
  // Order of filters: temperature, top-k, top-p (on the top-k renormalised distribution),
  // then one uniform draw. Candidates are ranked by logit, ties by lower id, so results do not
  // depend on the sort implementation.
  int32_t Sample(const float* logits, int64_t vocab);

  const SamplerOptions& options() const { return options_; }

 private:
  SamplerOptions options_;
  Rng rng_;
  std::vector<int32_t> order_;  // candidate ids, reused between calls
  std::vector<double> probs_;   // their probabilities
};

}  // namespace mixq::eval
