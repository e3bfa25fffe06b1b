// mixq bench MODEL [-p 512] [-n 128] [-d 0] [-r 5]: llama-bench-style throughput (prompt processing
// and token generation, tokens/s mean +- stddev). Table or JSON on stdout, progress on stderr.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "mixq/eval/bench.h"
#include "mixq/eval/membw.h"
#include "mixq/model/model.h"

namespace mixq::cli {
namespace {

struct BenchCliOptions {
  std::string model;
  std::vector<int64_t> prompt_sizes = {512};
  std::vector<int64_t> gen_sizes = {128};
  std::vector<int64_t> depths = {0};
  int repetitions = 5;
  uint64_t seed = 1234;
  bool no_warmup = false;
  bool json = false;
  std::string output = "md";
  bool membw = false;
  ComputeOptions compute;
};

struct ModelSize {
  int64_t bytes = 0;
  int64_t params = 0;
};
ModelSize SizeOf(const Model& model) {
  ModelSize s;
  for (const Tensor& t : model.files().tensors.all()) {
    s.bytes += static_cast<int64_t>(t.nbytes);
    s.params += t.numel();
  }
  return s;
}

void PrintJson(const BenchCliOptions& o, const Context& ctx, const Model& model, const std::vector<eval::BenchTest>& tests) {
  const ModelSize size = SizeOf(model);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : tests)
    list.push_back({{"name", t.name},
                    {"n_tokens", t.n_tokens},
                    {"depth", t.depth},
                    {"tokens_per_s_mean", t.tps.mean},
                    {"tokens_per_s_stddev", t.tps.stddev},
                    {"tokens_per_s_median", t.tps_median},
                    {"tokens_per_s_best", t.tps_best},
                    {"cpu_tokens_per_s_median", t.cpu_tps_median},
                    {"samples_cpu_s", t.cpu_seconds},
                    {"samples_tokens_per_s", t.tokens_per_s},
                    {"samples_s", t.seconds}});
  nlohmann::json out = {{"model", o.model},
                        {"format", ModelFormatName(model.files().format)},
                        {"size_bytes", size.bytes},
                        {"n_params", size.params},
                        {"threads", ctx.n_threads},
                        {"isa", IsaName(ctx.isa)},
                        {"repetitions", o.repetitions},
                        {"tests", list}};
  std::printf("%s\n", out.dump(2).c_str());
}

void PrintTable(const BenchCliOptions& o, const Context& ctx, const Model& model, const std::vector<eval::BenchTest>& tests) {
  const ModelSize size = SizeOf(model);
  std::printf("| model | size | params | isa | threads | test | t/s |\n");
  std::printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |\n");
  for (const auto& t : tests)
    std::printf("| %s | %.2f MiB | %.2f M | %s | %d | %s | %.2f ± %.2f |\n", o.model.c_str(),
                static_cast<double>(size.bytes) / (1024.0 * 1024.0), static_cast<double>(size.params) / 1e6,
                IsaName(ctx.isa), ctx.n_threads, t.name.c_str(), t.tps.mean, t.tps.stddev);
}

// mixq bench --membw: read bandwidth per working-set size; the largest is main memory.
int RunMembw(const BenchCliOptions& o, const Context& ctx) {
  auto points = eval::MeasureReadBandwidth(ctx, eval::DefaultBandwidthSizes(), 0.2, o.repetitions);
  if (!points.ok()) return ReportError(points.status());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : *points) {
    list.push_back({{"bytes", p.bytes}, {"gb_per_s", p.bytes_per_s / 1e9}});
    std::fprintf(stderr, "[membw] %8.1f MiB: %7.1f GB/s\n", p.bytes / 1048576.0, p.bytes_per_s / 1e9);
  }
  const double dram = points->back().bytes_per_s / 1e9;
  if (o.json || o.output == "json") {
    std::printf("%s\n", nlohmann::json{{"threads", ctx.n_threads}, {"isa", IsaName(ctx.isa)}, {"points", list},
                                       {"memory_gb_per_s", dram}}.dump(2).c_str());
  } else {
    std::printf("| working set | read GB/s |\n| ---: | ---: |\n");
    for (const auto& p : *points) std::printf("| %.0f MiB | %.1f |\n", p.bytes / 1048576.0, p.bytes_per_s / 1e9);
    std::printf("memory read bandwidth (largest working set, %d threads): %.1f GB/s\n", ctx.n_threads, dram);
  }
  return 0;
}

int Run(const BenchCliOptions& o) {
  auto ctx = MakeContext(o.compute);
  if (!ctx.ok()) return ReportError(ctx.status());
  if (o.output != "md" && o.output != "json") return ReportError(Err("-o/--output: expected md or json, got '{}'", o.output));
  if (o.membw) return RunMembw(o, *ctx);
  if (o.model.empty()) return ReportError(Err("bench: a MODEL is required (or --membw)"));
  auto model = Model::Load(o.model);
  if (!model.ok()) return ReportError(model.status());
  eval::BenchOptions options;
  options.prompt_sizes = o.prompt_sizes;
  options.gen_sizes = o.gen_sizes;
  options.depths = o.depths;
  options.repetitions = o.repetitions;
  options.seed = o.seed;
  options.warmup = !o.no_warmup;
  auto tests = eval::RunBench(*ctx, *model, options, [](const eval::BenchTest& t) {
    std::fprintf(stderr, "[bench] %s: %.2f +/- %.2f tokens/s\n", t.name.c_str(), t.tps.mean, t.tps.stddev);
  });
  if (!tests.ok()) return ReportError(tests.status());
  if (o.json || o.output == "json") {
    PrintJson(o, *ctx, **model, *tests);
  } else {
    PrintTable(o, *ctx, **model, *tests);
  }
  return 0;
}

CommandRegistration reg("bench", "prompt-processing and generation throughput (like llama-bench)", [](CLI::App* sub) {
  auto o = std::make_shared<BenchCliOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf or llama2.c .bin");
  sub->add_flag("--membw", o->membw, "measure this machine's memory read bandwidth instead (no model)");
  sub->add_option("-p,--n-prompt,--pp", o->prompt_sizes, "prompt sizes, comma-separated; 0 skips (default 512)")
      ->delimiter(',');
  sub->add_option("-n,--n-gen,--tg", o->gen_sizes, "generation lengths, comma-separated; 0 skips (default 128)")
      ->delimiter(',');
  sub->add_option("-d,--n-depth", o->depths,
                  "tokens cached before each test (untimed prefill), comma-separated (default 0)")
      ->delimiter(',');
  sub->add_option("-r,--repetitions", o->repetitions, "timed runs per test (default 5)");
  sub->add_option("-s,--seed", o->seed, "seed of the random token ids (default 1234)");
  sub->add_flag("--no-warmup", o->no_warmup, "skip the untimed warm-up run");
  sub->add_option("-o,--output", o->output, "output format: md (table) or json");
  sub->add_flag("--json", o->json, "print one JSON object (same as -o json)");
  AddComputeOptions(sub, &o->compute);
  return [o] { return Run(*o); };
});

}  // namespace
}  // namespace mixq::cli
