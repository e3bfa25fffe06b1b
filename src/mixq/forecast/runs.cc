#include "mixq/forecast/runs.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "mixq/forecast/json_fields.h"

namespace mixq::forecast {
namespace {

Result<std::optional<DType>> OptionalType(const Json& obj, const std::string& key, const std::string& path,
                                          const JsonSource& src) {
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(obj, key, path, src));
  if (!name) return std::optional<DType>();
  std::optional<DType> type = ParseDType(*name);
  if (!type) return src.FieldError(FieldPath(path, key), fmt::format("unknown type '{}'", *name));
  return type;
}

std::string BaseName(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// One test of a run -> one measurement (model and holdout filled in by the caller).
Result<Measurement> ParseTest(const Json& test, const std::string& path, const JsonSource& src,
                              BenchStatistic statistic) {
  if (!test.is_object()) return src.FieldError(path, "must be an object");
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(test, "name", path, src));
  if (!name || name->size() < 3) return src.FieldError(FieldPath(path, "name"), "missing (\"ppN\" or \"tgN\")");
  Measurement m;
  const std::string kind = name->substr(0, 2);
  if (kind == "pp") {
    m.phase = Phase::kPrefill;
  } else if (kind == "tg") {
    m.phase = Phase::kDecode;
  } else {
    return src.FieldError(FieldPath(path, "name"), fmt::format("'{}' is neither ppN nor tgN", *name));
  }
  MIXQ_ASSIGN_OR_RETURN(m.tokens, IntegerOr(test, "n_tokens", path, src, -1));
  if (m.tokens < 1) return src.FieldError(FieldPath(path, "n_tokens"), "missing or < 1");
  MIXQ_ASSIGN_OR_RETURN(m.depth, IntegerOr(test, "depth", path, src, 0));
  MIXQ_ASSIGN_OR_RETURN(m.batch, IntegerOr(test, "batch", path, src, 1));
  MIXQ_ASSIGN_OR_RETURN(m.chunk, IntegerOr(test, "chunk", path, src, 0));
  if (m.depth < 0 || m.batch < 1 || m.chunk < 0) return src.FieldError(path, "depth/chunk must be >= 0, batch >= 1");
  // The median (or best) of the bench's repetitions when it reports them, else the mean.
  const char* key = statistic == BenchStatistic::kMedian      ? "tokens_per_s_median"
                    : statistic == BenchStatistic::kBest      ? "tokens_per_s_best"
                    : statistic == BenchStatistic::kCpuMedian ? "cpu_tokens_per_s_median"
                                                              : "tokens_per_s_mean";
  if (!test.contains(key)) key = "tokens_per_s_mean";
  MIXQ_ASSIGN_OR_RETURN(double tps, PositiveNumber(test, key, path, src));
  // tokens/s counts every sequence's tokens.
  const double batch_tps = tps / static_cast<double>(m.batch);
  m.seconds = m.phase == Phase::kPrefill ? static_cast<double>(m.tokens) / batch_tps : 1.0 / batch_tps;
  const bool named_depth = name->find("@d") != std::string::npos;  // mixq bench names "tg32@d512"
  m.label = *name + (m.depth > 0 && !named_depth ? fmt::format("@d{}", m.depth) : "");
  return m;
}

}  // namespace

std::optional<BenchStatistic> ParseBenchStatistic(const std::string& name) {
  if (name == "median") return BenchStatistic::kMedian;
  if (name == "best") return BenchStatistic::kBest;
  if (name == "mean") return BenchStatistic::kMean;
  if (name == "cpu-median") return BenchStatistic::kCpuMedian;
  return std::nullopt;
}

Result<CalibrationRuns> ParseCalibrationRuns(const std::string& json_text, const std::string& source,
                                             const ModelResolver& resolve, BenchStatistic statistic) {
  const JsonSource src{"calibrate", source};
  MIXQ_ASSIGN_OR_RETURN(Json root, ParseJsonObject(json_text, src));
  if (!root.contains("runs") && root.contains("tests") && root.contains("model")) {
    // One `mixq bench --json` output as it is: a single run with the file's stored types.
    Json wrapped = {{"schema_version", 1}, {"runs", Json::array({root})}};
    root = std::move(wrapped);
  }
  MIXQ_RETURN_IF_ERROR(CheckSchemaVersion(root, src));
  MIXQ_ASSIGN_OR_RETURN(std::optional<DType> default_kv, OptionalType(root, "kv_type", "", src));
  auto runs = root.find("runs");
  if (runs == root.end() || !runs->is_array() || runs->empty())
    return src.FieldError("runs", "missing or not a non-empty array");
  CalibrationRuns out;
  for (size_t i = 0; i < runs->size(); ++i) {
    const std::string path = fmt::format("runs[{}]", i);
    const Json& run = (*runs)[i];
    if (!run.is_object()) return src.FieldError(path, "must be an object");
    RunModel ref;
    MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> model, OptionalString(run, "model", path, src));
    if (!model) return src.FieldError(FieldPath(path, "model"), "missing");
    ref.model = *model;
    MIXQ_ASSIGN_OR_RETURN(ref.type, OptionalType(run, "type", path, src));
    MIXQ_ASSIGN_OR_RETURN(ref.plan, OptionalString(run, "plan", path, src));
    MIXQ_ASSIGN_OR_RETURN(std::optional<DType> kv, OptionalType(run, "kv_type", path, src));
    ref.kv_type = kv.value_or(default_kv.value_or(DType::kF32));
    MIXQ_ASSIGN_OR_RETURN(bool holdout, BoolOr(run, "holdout", path, src, false));
    Result<ModelSpec> spec = resolve(ref);
    if (!spec.ok()) return spec.status().WithContext(fmt::format("[calibrate] {}: '{}'", source, path));
    auto tests = run.find("tests");
    if (tests == run.end() || !tests->is_array()) return src.FieldError(FieldPath(path, "tests"), "missing array");
    const std::string desc = ref.plan ? "plan " + BaseName(*ref.plan) : ref.type ? DTypeName(*ref.type) : "stored";
    for (size_t t = 0; t < tests->size(); ++t) {
      MIXQ_ASSIGN_OR_RETURN(Measurement m, ParseTest((*tests)[t], fmt::format("{}.tests[{}]", path, t), src, statistic));
      m.model = *spec;
      m.holdout = holdout;
      m.label = fmt::format("{} {} {}", BaseName(ref.model), desc, m.label);
      out.measurements.push_back(std::move(m));
      out.run_of.push_back(static_cast<int>(i));
    }
    out.run_models.push_back(ref.model);
  }
  out.n_runs = static_cast<int>(runs->size());
  return out;
}

Result<CalibrationRuns> LoadCalibrationRuns(const std::string& path, const ModelResolver& resolve,
                                            BenchStatistic statistic) {
  MIXQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "calibrate"));
  return ParseCalibrationRuns(text, path, resolve, statistic);
}

void AppendRuns(CalibrationRuns more, CalibrationRuns* runs) {
  for (size_t i = 0; i < more.measurements.size(); ++i) {
    runs->measurements.push_back(std::move(more.measurements[i]));
    runs->run_of.push_back(more.run_of[i] + runs->n_runs);
  }
  for (std::string& m : more.run_models) runs->run_models.push_back(std::move(m));
  runs->n_runs += more.n_runs;
}

std::optional<RoundStatistic> ParseRoundStatistic(const std::string& name) {
  if (name == "min") return RoundStatistic::kMin;
  if (name == "median") return RoundStatistic::kMedian;
  return std::nullopt;
}

void MergeRounds(RoundStatistic statistic, CalibrationRuns* runs) {
  std::map<std::string, size_t> first;  // label -> index in `merged`
  std::vector<std::vector<double>> seconds;
  CalibrationRuns merged;
  merged.run_models = runs->run_models;
  merged.n_runs = runs->n_runs;
  for (size_t i = 0; i < runs->measurements.size(); ++i) {
    Measurement& m = runs->measurements[i];
    auto [it, inserted] = first.emplace(m.label, merged.measurements.size());
    if (inserted) {
      seconds.push_back({m.seconds});
      merged.measurements.push_back(std::move(m));
      merged.run_of.push_back(runs->run_of[i]);
    } else {
      seconds[it->second].push_back(m.seconds);
      merged.measurements[it->second].holdout |= m.holdout;
    }
  }
  for (size_t j = 0; j < merged.measurements.size(); ++j) {
    Measurement& m = merged.measurements[j];
    const std::vector<double>& v = seconds[j];
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    m.seconds = statistic == RoundStatistic::kMin ? *lo : Median(v);
    m.rounds = static_cast<int>(v.size());
    m.spread = *hi / *lo - 1;
  }
  *runs = std::move(merged);
}

void HoldOutModels(const std::vector<std::string>& substrings, CalibrationRuns* runs) {
  for (size_t i = 0; i < runs->measurements.size(); ++i) {
    const std::string& model = runs->run_models[static_cast<size_t>(runs->run_of[i])];
    for (const std::string& s : substrings)
      if (!s.empty() && model.find(s) != std::string::npos) runs->measurements[i].holdout = true;
  }
}

void HoldOutEveryNth(int n, CalibrationRuns* runs) {
  if (n <= 0) return;
  for (size_t i = 0; i < runs->measurements.size(); ++i)
    if (runs->run_of[i] % n == n - 1) runs->measurements[i].holdout = true;
}

}  // namespace mixq::forecast
