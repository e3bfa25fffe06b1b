#include "mixq/eval/bench.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "mixq/base/rng.h"
#include "mixq/model/model.h"

namespace mixq::eval {
namespace {

using Clock = std::chrono::steady_clock;

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
  double wall = 0, cpu = 0;
};

// One timed run: prompt processing decodes all tokens in one call; generation one at a time.
// `prefix` (the depth) is decoded first, untimed.
Result<Timing> TimeOnce(const Context& ctx, InferenceSession& session, const std::vector<int32_t>& prefix,
                        const std::vector<int32_t>& tokens, bool generation) {
  session.Reset();
  if (!prefix.empty()) MIXQ_RETURN_IF_ERROR(session.Decode(ctx, prefix, /*all_logits=*/false));
  const double cpu0 = ProcessCpuSeconds();
  const Clock::time_point t0 = Clock::now();
  if (generation) {
    for (int32_t t : tokens) MIXQ_RETURN_IF_ERROR(session.Decode(ctx, {t}, /*all_logits=*/false));
  } else {
    MIXQ_RETURN_IF_ERROR(session.Decode(ctx, tokens, /*all_logits=*/false));
  }
  Timing t;
  t.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  t.cpu = ProcessCpuSeconds() - cpu0;
  return t;
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t k = v.size();
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

Result<BenchTest> RunTest(const Context& ctx, const std::shared_ptr<const Model>& model, const BenchOptions& options,
                          int64_t n, int64_t depth, bool generation) {
  BenchTest test;
  test.name = (generation ? "tg" : "pp") + std::to_string(n) + (depth > 0 ? "@d" + std::to_string(depth) : "");
  test.n_tokens = n;
  test.depth = depth;
  const std::vector<int32_t> tokens = RandomTokens(n, model->config().vocab_size, options.seed + (generation ? 1 : 0));
  const std::vector<int32_t> prefix = RandomTokens(depth, model->config().vocab_size, options.seed + 2);
  InferenceSession session(model, depth + n);
  if (options.warmup) {
    // As llama-bench: a whole prompt, or a single generated token.
    const std::vector<int32_t> warm = generation ? std::vector<int32_t>{tokens[0]} : tokens;
    MIXQ_ASSIGN_OR_RETURN(Timing ignored, TimeOnce(ctx, session, prefix, warm, generation));
    (void)ignored;
  }
  for (int r = 0; r < options.repetitions; ++r) {
    MIXQ_ASSIGN_OR_RETURN(Timing timing, TimeOnce(ctx, session, prefix, tokens, generation));
    const double s = timing.wall;
    test.seconds.push_back(s);
    test.cpu_seconds.push_back(timing.cpu);
    test.tokens_per_s.push_back(s > 0 ? static_cast<double>(n) / s : 0.0);
  }
  test.tps = ComputeMeanStd(test.tokens_per_s);
  test.tps_median = MedianOf(test.tokens_per_s);
  test.tps_best = *std::max_element(test.tokens_per_s.begin(), test.tokens_per_s.end());
  const double cpu = MedianOf(test.cpu_seconds);
  test.cpu_tps_median = cpu > 0 ? static_cast<double>(n) / cpu : 0.0;
  return test;
}

}  // namespace

std::vector<int32_t> RandomTokens(int64_t n, int64_t vocab, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (auto& t : tokens) t = static_cast<int32_t>(rng.NextU64() % static_cast<uint64_t>(vocab));
  return tokens;
}

Result<std::vector<BenchTest>> RunBench(const Context& ctx, const std::shared_ptr<const Model>& model,
                                        const BenchOptions& options, const BenchProgressFn& progress) {
  if (options.repetitions < 1) return Err("[bench] repetitions must be >= 1, got {}", options.repetitions);
  if (options.depths.empty()) return Err("[bench] no depths given");
  for (int64_t d : options.depths)
    if (d < 0) return Err("[bench] depth must be >= 0, got {}", d);
  std::vector<BenchTest> tests;
  for (int generation = 0; generation < 2; ++generation) {
    for (int64_t n : generation ? options.gen_sizes : options.prompt_sizes) {
      if (n < 0) return Err("[bench] {} size must be >= 0, got {}", generation ? "generation" : "prompt", n);
      if (n == 0) continue;
      for (int64_t depth : options.depths) {
        MIXQ_ASSIGN_OR_RETURN(BenchTest test, RunTest(ctx, model, options, n, depth, generation != 0));
        if (progress) progress(test);
        tests.push_back(std::move(test));
      }
    }
  }
  return tests;
}

}  // namespace mixq::eval
