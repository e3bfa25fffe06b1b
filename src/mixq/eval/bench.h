// Throughput in the manner of llama-bench: prompt processing "ppN" (N tokens through one
// Decode call from an empty cache) and token generation "tgN" (N single-token Decode calls from
// an empty cache). With depths (llama-bench's -d), every test also runs after D cached tokens
// (filled by an untimed prefill of D random tokens before each run); its name gets "@dD". Each test runs once untimed as warm-up, then `repetitions` timed runs,
// reported as tokens/s mean +- sample standard deviation. Token ids are seeded random numbers,
// so no tokenizer is needed and runs are repeatable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"
#include "mixq/eval/stats.h"

namespace mixq {
class Model;
}

namespace mixq::eval {

struct BenchOptions {
  std::vector<int64_t> prompt_sizes = {512};  // one ppN test each; 0 entries are skipped
  std::vector<int64_t> gen_sizes = {128};     // one tgN test each; 0 entries are skipped
  int repetitions = 5;
  bool warmup = true;
  uint64_t seed = 1234;
  std::vector<int64_t> depths = {0};  // tokens cached before each test (untimed prefill)
};

struct BenchTest {
  std::string name;                  // "pp512", "tg128"
  int64_t n_tokens = 0;
  int64_t depth = 0;                 // tokens cached before the timed part
  std::vector<double> seconds;       // {repetitions}: wall time of each timed run
  // {repetitions}: CPU time of the process (all threads) in each timed run. With one thread it
  // is the run's time without the intervals other jobs held the CPU (a loaded shared machine).
  std::vector<double> cpu_seconds;
  std::vector<double> tokens_per_s;  // {repetitions}
  MeanStd tps;                       // of tokens_per_s
  double tps_median = 0;             // median of tokens_per_s (robust on a shared machine)
  double tps_best = 0;               // max of tokens_per_s
  double cpu_tps_median = 0;         // n_tokens / median of cpu_seconds
};

// Called as each test finishes (for progress lines).
using BenchProgressFn = std::function<void(const BenchTest&)>;

Result<std::vector<BenchTest>> RunBench(const Context& ctx, const std::shared_ptr<const Model>& model,
                                        const BenchOptions& options, const BenchProgressFn& progress = {});

// Random ids in [0, vocab) from Rng(seed): the bench's input.
std::vector<int32_t> RandomTokens(int64_t n, int64_t vocab, uint64_t seed);

}  // namespace mixq::eval
