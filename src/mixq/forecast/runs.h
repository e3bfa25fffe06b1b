// The calibration input: measured runs, in the shape `mixq bench --json` prints, plus what the
// bench output does not say (weight types, KV type, held-out flag). Schema (docs/forecast.md
// #calibration-input):
//   {"schema_version": 1,
//    "kv_type": "f32",                                    default for runs without one
//    "runs": [
//      {"model": "../shared/models/wiki-llama-8m",        as given to mixq bench
//       "type": "q4_0" | "plan": "plan.json",             optional: else the file's own types
//       "kv_type": "f32", "holdout": false, "threads": 2, optional
//       "tests": [{"name": "pp512", "n_tokens": 512, "tokens_per_s_mean": 812.5,
//                  "depth": 0, "batch": 1, "chunk": 0}]}]} depth/batch/chunk optional
// A "ppN" test is a prefill of N tokens (seconds = N / tokens_per_s); a "tgN" test is N decode
// steps, the first with `depth` tokens cached (seconds per step = 1 / tokens_per_s).
// Which of a test's numbers is the measurement: tokens_per_s_median (default) or
// tokens_per_s_best when the test has it (mixq bench writes both; best = the least disturbed
// repetition, for a loaded shared machine), else tokens_per_s_mean. A file that is one `mixq bench --json` output as printed (an object with
// "model" and "tests", no "runs") is read as a single run with the model file's stored types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/forecast/calibrate.h"

namespace mixq::forecast {

// What a run says about its model; the resolver turns it into a ModelSpec (the CLI reads the
// config and, without type/plan, the file's stored tensor types).
struct RunModel {
  std::string model;
  std::optional<DType> type;
  std::optional<std::string> plan;
  DType kv_type = DType::kF32;
};
using ModelResolver = std::function<Result<ModelSpec>(const RunModel&)>;

// kCpuMedian: cpu_tokens_per_s_median, from the process's CPU time (meaningful with 1 thread:
// the time the run would take with the CPU to itself).
enum class BenchStatistic { kMedian, kBest, kMean, kCpuMedian };
// "median", "best", "mean", "cpu-median".
std::optional<BenchStatistic> ParseBenchStatistic(const std::string& name);

struct CalibrationRuns {
  std::vector<Measurement> measurements;
  std::vector<int> run_of;  // index of the run each measurement came from
  std::vector<std::string> run_models;  // "model" of each run
  int n_runs = 0;
};

// Errors name the file and the field ("runs[2].tests[0].tokens_per_s_mean").
Result<CalibrationRuns> ParseCalibrationRuns(const std::string& json_text, const std::string& source,
                                             const ModelResolver& resolve,
                                             BenchStatistic statistic = BenchStatistic::kMedian);
Result<CalibrationRuns> LoadCalibrationRuns(const std::string& path, const ModelResolver& resolve,
                                            BenchStatistic statistic = BenchStatistic::kMedian);

// Adds `more`'s runs after those of `runs` (several input files).
void AppendRuns(CalibrationRuns more, CalibrationRuns* runs);
// Holds out the runs whose "model" contains any of `substrings`.
void HoldOutModels(const std::vector<std::string>& substrings, CalibrationRuns* runs);

// Several rounds of the same configurations (the validation script measures every
// configuration once per round, spread over time): measurements with the same label (model,
// types, test) are merged into one whose seconds are the minimum or the median over rounds.
// Min: host drift and neighbours only ever add time, so the fastest round is the machine
// undisturbed (as the device probe's best-of figures are). The merged measurement keeps the
// first one's run and fields, is held out if any of them was, and records rounds and spread.
enum class RoundStatistic { kMin, kMedian };
std::optional<RoundStatistic> ParseRoundStatistic(const std::string& name);  // "min", "median"
void MergeRounds(RoundStatistic statistic, CalibrationRuns* runs);

// Holds out every n-th run (runs n-1, 2n-1, ...) in addition to runs marked "holdout".
void HoldOutEveryNth(int n, CalibrationRuns* runs);

}  // namespace mixq::forecast
