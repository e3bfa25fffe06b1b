// Perplexity over a token stream, computed the way llama.cpp's llama-perplexity does, with an
// optional saved baseline (--save-logits) and KL divergence against one (--kld-base).
//
// For each chunk c of n_ctx tokens (layout from PlanChunks):
//   - the chunk's first token is replaced by BOS (when the model uses one),
//   - the chunk is decoded from an empty cache in batches of up to n_batch tokens,
//   - positions i = n_ctx/2 .. n_ctx-2 are scored: NLL_i = logsumexp(logits_i) - logits_i[t_{i+1}]
//     in double precision.
// PPL = exp(mean NLL over all scored positions) +- PPL * stderr(NLL) (see stats.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/eval/kld.h"
#include "mixq/eval/logits_file.h"
#include "mixq/eval/stats.h"

namespace mixq {
class Model;
}

namespace mixq::eval {

inline constexpr int64_t kDefaultCtx = 512;  // llama-perplexity's default

// With a baseline, n_ctx 0 takes the baseline's and max_chunks 0 its number of chunks, so a
// comparing run needs no settings repeated.
struct PerplexityOptions {
  int64_t n_ctx = 0;             // tokens per chunk; 0: the baseline's, else kDefaultCtx
  int64_t n_batch = 2048;        // tokens per Decode call; capped at n_ctx
  int64_t max_chunks = 0;        // evaluate the first N chunks only; 0: all (the baseline's)
  std::string save_logits_path;  // write a baseline here (temp file + rename); "" for none
  std::string kld_base_path;     // compare against this baseline; "" for none
};

// Reported after every chunk.
struct ChunkProgress {
  int64_t chunks_done = 0;
  int64_t n_chunks = 0;
  PplEstimate running;        // over the chunks done so far
  double chunk_mean_nll = 0;  // of the chunk just finished
  bool has_kld = false;
  double running_kld = 0.0;   // mean KLD so far, when comparing with a baseline
  double elapsed_s = 0.0;
  double eta_s = 0.0;         // elapsed / done * remaining
};
using ProgressFn = std::function<void(const ChunkProgress&)>;

struct PerplexityResult {
  LogitsHeader layout;                 // n_ctx, n_chunks, scored positions, bos, vocab
  int64_t n_input_tokens = 0;          // tokens in the whole input (before chunking)
  PplEstimate ppl;                     // over every scored position
  std::vector<double> chunk_mean_nll;  // {n_chunks}
  bool has_kld = false;
  KldSummary kld;                      // valid when has_kld
  double seconds = 0.0;
  double tokens_per_second = 0.0;      // evaluated (not scored) tokens per second
};

// `tokens` is the whole input (e.g. from TokenizeForPerplexity); it may be empty when
// options.kld_base_path is set, to evaluate the baseline's own tokens (and its bos_id).
// `bos_id` replaces each chunk's first token (-1: none).
Result<PerplexityResult> RunPerplexity(const Context& ctx, const std::shared_ptr<const Model>& model,
                                       const std::vector<int32_t>& tokens, int32_t bos_id,
                                       const PerplexityOptions& options, const ProgressFn& progress = {});

}  // namespace mixq::eval
