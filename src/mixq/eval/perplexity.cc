#include "mixq/eval/perplexity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "mixq/base/parallel.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/model/model.h"

namespace mixq::eval {
namespace {

using Clock = std::chrono::steady_clock;

// What one batch's scored positions produced, filled in parallel and consumed in order so the
// totals do not depend on the thread count. Shapes: {n} per position, rows {n, row_bytes}.
struct ScoredBatch {
  std::vector<double> nll;
  std::vector<KldPosition> kld;
  std::vector<uint8_t> rows;
};

// Everything a run keeps between chunks.
struct Run {
  LogitsHeader layout;
  const std::vector<int32_t>* tokens = nullptr;
  std::vector<int32_t> base_tokens;  // the baseline's, when the caller gave none
  std::optional<LogitsFile> base;
  std::unique_ptr<LogitsFileWriter> writer;
  MeanAccumulator nll;
  KldAccumulator kld;
  std::vector<double> chunk_mean_nll;
};

// Scores positions [lo, hi) of chunk `c`, whose logits are rows (i - batch_start) of `session`.
Status ScorePositions(const Context& ctx, Run& run, const InferenceSession& session, int64_t c, int64_t batch_start,
                      int64_t lo, int64_t hi, MeanAccumulator* chunk_nll) {
  const int64_t n = hi - lo;
  if (n <= 0) return Status::Ok();
  const int64_t vocab = run.layout.n_vocab;
  const int32_t* next = run.tokens->data() + c * run.layout.n_ctx + 1;  // next[i] follows position i
  ScoredBatch out;
  out.nll.resize(static_cast<size_t>(n));
  if (run.base) out.kld.resize(static_cast<size_t>(n));
  if (run.writer) out.rows.resize(static_cast<size_t>(n) * run.layout.row_bytes());
  ParallelFor(ctx, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> scratch;
    for (int64_t k = begin; k < end; ++k) {
      const int64_t i = lo + k;
      const float* logits = session.logits(i - batch_start);
      const int32_t target = next[i];
      out.nll[k] = LogSumExp(logits, vocab) - static_cast<double>(logits[target]);
      if (run.base)
        out.kld[k] = ComparePosition(run.base->Row(c, i - run.layout.first_scored), logits, vocab, target, &scratch);
      if (run.writer) EncodeLogProbRow(logits, vocab, target, out.rows.data() + k * run.layout.row_bytes());
    }
  });
  for (int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(out.nll[k]))
      return Err("[perplexity] chunk {} position {}: non-finite NLL {} (logits contain inf/NaN)", c, lo + k, out.nll[k]);
    run.nll.Add(out.nll[k]);
    chunk_nll->Add(out.nll[k]);
    if (run.base) run.kld.Add(out.kld[k]);
  }
  if (run.writer) MIXQ_RETURN_IF_ERROR(run.writer->AppendEncoded(out.rows.data(), n));
  return Status::Ok();
}

// Decodes chunk `c` from an empty cache and scores its second half.
Status EvaluateChunk(const Context& ctx, Run& run, InferenceSession& session, int64_t c, int64_t n_batch) {
  const LogitsHeader& L = run.layout;
  std::vector<int32_t> chunk(run.tokens->begin() + c * L.n_ctx, run.tokens->begin() + (c + 1) * L.n_ctx);
  if (L.bos_id >= 0) chunk[0] = L.bos_id;
  session.Reset();
  MeanAccumulator chunk_nll;
  const int64_t score_end = L.first_scored + L.n_scored;  // one past the last scored position
  for (int64_t start = 0; start < L.n_ctx; start += n_batch) {
    const int64_t end = std::min(start + n_batch, L.n_ctx);
    const std::vector<int32_t> batch(chunk.begin() + start, chunk.begin() + end);
    const int64_t lo = std::max(start, L.first_scored), hi = std::min(end, score_end);
    // Batches wholly before the scored half only fill the cache: skip their output projection.
    const Status decoded = session.Decode(ctx, batch, /*all_logits=*/hi > lo);
    if (!decoded.ok()) return decoded.WithContext(fmt::format("[perplexity] chunk {} tokens {}..{}", c, start, end - 1));
    MIXQ_RETURN_IF_ERROR(ScorePositions(ctx, run, session, c, start, lo, hi, &chunk_nll));
  }
  run.chunk_mean_nll.push_back(chunk_nll.mean());
  return Status::Ok();
}

// Opens the baseline, settles the chunk layout (options' zeros take the baseline's values)
// and creates the writer.
Status PrepareRun(const Model& model, const std::vector<int32_t>& input_tokens, int32_t bos_id,
                  const PerplexityOptions& options, Run* run) {
  run->tokens = &input_tokens;
  if (!options.kld_base_path.empty()) {
    MIXQ_ASSIGN_OR_RETURN(LogitsFile base, LogitsFile::Open(options.kld_base_path));
    run->base = std::move(base);
    if (input_tokens.empty()) {  // evaluate exactly what the baseline evaluated
      run->base_tokens = run->base->TokenVector();
      run->tokens = &run->base_tokens;
      bos_id = run->base->header().bos_id;
    }
  }
  const std::vector<int32_t>& tokens = *run->tokens;
  const int64_t vocab = model.config().vocab_size;
  int64_t n_ctx = options.n_ctx, max_chunks = options.max_chunks;
  if (n_ctx == 0) n_ctx = run->base ? run->base->header().n_ctx : kDefaultCtx;
  if (max_chunks == 0 && run->base) max_chunks = run->base->header().n_chunks;
  MIXQ_ASSIGN_OR_RETURN(run->layout, PlanChunks(static_cast<int64_t>(tokens.size()), vocab, bos_id, n_ctx, max_chunks));
  if (bos_id >= vocab) return Err("[perplexity] BOS id {} out of range for the model's vocab {}", bos_id, vocab);
  if (options.n_batch < 1) return Err("[perplexity] batch size must be >= 1, got {}", options.n_batch);
  if (run->base) MIXQ_RETURN_IF_ERROR(run->base->CheckCompatible(run->layout, tokens));
  if (!options.save_logits_path.empty()) {
    const std::vector<int32_t> evaluated(tokens.begin(), tokens.begin() + run->layout.n_tokens());
    MIXQ_ASSIGN_OR_RETURN(run->writer, LogitsFileWriter::Create(options.save_logits_path, run->layout, evaluated));
  }
  return Status::Ok();
}

ChunkProgress MakeProgress(const Run& run, int64_t chunks_done, double elapsed_s) {
  ChunkProgress p;
  p.chunks_done = chunks_done;
  p.n_chunks = run.layout.n_chunks;
  p.running = EstimatePpl(run.nll);
  p.chunk_mean_nll = run.chunk_mean_nll.back();
  p.has_kld = run.base.has_value();
  p.running_kld = run.kld.mean();
  p.elapsed_s = elapsed_s;
  p.eta_s = elapsed_s / static_cast<double>(chunks_done) * static_cast<double>(p.n_chunks - chunks_done);
  return p;
}

}  // namespace

Result<PerplexityResult> RunPerplexity(const Context& ctx, const std::shared_ptr<const Model>& model,
                                       const std::vector<int32_t>& input_tokens, int32_t bos_id,
                                       const PerplexityOptions& options, const ProgressFn& progress) {
  const Clock::time_point t0 = Clock::now();
  Run run;
  MIXQ_RETURN_IF_ERROR(PrepareRun(*model, input_tokens, bos_id, options, &run));
  const LogitsHeader& L = run.layout;
  InferenceSession session(model, L.n_ctx);
  for (int64_t c = 0; c < L.n_chunks; ++c) {
    MIXQ_RETURN_IF_ERROR(EvaluateChunk(ctx, run, session, c, std::min(options.n_batch, L.n_ctx)));
    if (progress) progress(MakeProgress(run, c + 1, std::chrono::duration<double>(Clock::now() - t0).count()));
  }
  if (run.writer) MIXQ_RETURN_IF_ERROR(run.writer->Finish());

  PerplexityResult result;
  result.layout = L;
  result.n_input_tokens = static_cast<int64_t>(run.tokens->size());
  result.ppl = EstimatePpl(run.nll);
  result.chunk_mean_nll = std::move(run.chunk_mean_nll);
  result.has_kld = run.base.has_value();
  if (result.has_kld) result.kld = run.kld.Summarize();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  result.tokens_per_second = result.seconds > 0 ? static_cast<double>(L.n_tokens()) / result.seconds : 0.0;
  return result;
}

}  // namespace mixq::eval
