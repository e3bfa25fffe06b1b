// Text and JSON reports, and the calibration-run format.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "mixq/forecast/report.h"
#include "mixq/forecast/runs.h"

namespace mixq::forecast {
namespace {

TEST(Report, FormatsUnits) {
  EXPECT_EQ(FormatSeconds(1.5), "1.50 s");
  EXPECT_EQ(FormatSeconds(0.0123), "12.30 ms");
  EXPECT_EQ(FormatSeconds(45.6e-6), "45.6 us");
  EXPECT_EQ(FormatSi(1.234e9, "B"), "1.23 GB");
  EXPECT_EQ(FormatSi(512, ""), "512");
  EXPECT_EQ(FormatBytes(1536.0 * 1048576), "1.50 GiB");
}

TEST(Report, JsonHasTheDocumentedFields) {
  const ModelSpec spec = testing::Spec(testing::SmallConfig(), DType::kQ8_0);
  const Device d = testing::RoundDevice();
  Workload w;
  w.prompt = 64;
  w.gen = 8;
  ForecastResult r = *Forecast(spec, d, w);
  ForecastInputs in{"small", "q8_0 (uniform)", &spec, &d, w};
  nlohmann::json j = nlohmann::json::parse(ForecastJson(in, r));
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_DOUBLE_EQ(j["ttft_s"].get<double>(), r.ttft);
  EXPECT_DOUBLE_EQ(j["tps"].get<double>(), r.tps);
  EXPECT_EQ(j["workload"]["context"], 72);
  EXPECT_EQ(j["memory"]["fits"], true);
  ASSERT_FALSE(j["decode"]["ops"].empty());
  const auto& op = j["decode"]["ops"][2];
  EXPECT_EQ(op["op"], "attn_q");
  EXPECT_EQ(op["bound"], "memory");
  EXPECT_GT(op["intensity_flop_per_byte"].get<double>(), 0);
  const std::string text = ForecastText(in, r);
  EXPECT_NE(text.find("TTFT"), std::string::npos);
  EXPECT_NE(text.find("attn_q"), std::string::npos);
  EXPECT_NE(text.find("uncalibrated"), std::string::npos);
}

Result<ModelSpec> SmallResolver(const RunModel& ref) {
  if (ref.model != "small") return Err("no model '{}'", ref.model);
  ModelSpec spec = testing::Spec(testing::SmallConfig(), ref.type.value_or(DType::kF32), ref.kv_type);
  return spec;
}

TEST(CalibrationRuns, ReadsBenchOutput) {
  // The shape `mixq bench --json` prints, plus type/holdout.
  const std::string text = R"({"schema_version": 1, "kv_type": "f16", "runs": [
    {"model": "small", "type": "q4_0", "threads": 2, "isa": "avx512",
     "tests": [{"name": "pp128", "n_tokens": 128, "tokens_per_s_mean": 1000.0, "tokens_per_s_stddev": 3},
               {"name": "tg32", "n_tokens": 32, "tokens_per_s_mean": 50.0, "depth": 512}]},
    {"model": "small", "holdout": true, "kv_type": "q8_0",
     "tests": [{"name": "tg16", "n_tokens": 16, "tokens_per_s_mean": 80.0}]}]})";
  Result<CalibrationRuns> runs = ParseCalibrationRuns(text, "runs.json", SmallResolver);
  ASSERT_TRUE(runs.ok()) << runs.message();
  ASSERT_EQ(runs->measurements.size(), 3u);
  const Measurement& pp = runs->measurements[0];
  EXPECT_EQ(pp.phase, Phase::kPrefill);
  EXPECT_EQ(pp.tokens, 128);
  EXPECT_DOUBLE_EQ(pp.seconds, 0.128);
  EXPECT_EQ(pp.model.weights.default_type, DType::kQ4_0);
  EXPECT_EQ(pp.model.kv_type, DType::kF16);
  EXPECT_EQ(pp.label, "small q4_0 pp128");
  const Measurement& tg = runs->measurements[1];
  EXPECT_EQ(tg.phase, Phase::kDecode);
  EXPECT_EQ(tg.depth, 512);
  EXPECT_DOUBLE_EQ(tg.seconds, 0.02);
  EXPECT_EQ(tg.label, "small q4_0 tg32@d512");
  EXPECT_TRUE(runs->measurements[2].holdout);
  EXPECT_EQ(runs->measurements[2].model.kv_type, DType::kQ8_0);
  EXPECT_EQ(runs->n_runs, 2);
  HoldOutEveryNth(1, &*runs);
  EXPECT_TRUE(runs->measurements[0].holdout);
}

TEST(CalibrationRuns, ReadsBareBenchJsonAndPicksTheStatistic) {
  // One `mixq bench --json` output as printed: no "runs", stored types (the resolver's default).
  const std::string bench = R"({"model": "small", "threads": 1, "isa": "avx512", "repetitions": 5,
    "tests": [{"name": "tg16@d512", "n_tokens": 16, "depth": 512, "tokens_per_s_mean": 40.0,
               "tokens_per_s_median": 50.0, "tokens_per_s_best": 100.0, "cpu_tokens_per_s_median": 200.0}]})";
  auto seconds = [&](BenchStatistic stat) {
    Result<CalibrationRuns> runs = ParseCalibrationRuns(bench, "bench.json", SmallResolver, stat);
    EXPECT_TRUE(runs.ok()) << runs.message();
    EXPECT_EQ(runs->measurements.at(0).depth, 512);
    EXPECT_EQ(runs->measurements.at(0).label, "small stored tg16@d512");
    return runs->measurements.at(0).seconds;
  };
  EXPECT_DOUBLE_EQ(seconds(BenchStatistic::kMedian), 0.02);
  EXPECT_DOUBLE_EQ(seconds(BenchStatistic::kBest), 0.01);
  EXPECT_DOUBLE_EQ(seconds(BenchStatistic::kMean), 0.025);
  EXPECT_DOUBLE_EQ(seconds(BenchStatistic::kCpuMedian), 0.005);
  EXPECT_EQ(ParseBenchStatistic("cpu-median"), BenchStatistic::kCpuMedian);
  EXPECT_FALSE(ParseBenchStatistic("p90").has_value());

  // Several files; a shape held out by its model path.
  Result<CalibrationRuns> all = ParseCalibrationRuns(bench, "a.json", SmallResolver);
  ASSERT_TRUE(all.ok());
  Result<CalibrationRuns> more = ParseCalibrationRuns(
      R"({"schema_version": 1, "runs": [{"model": "small", "tests": [{"name": "pp8", "n_tokens": 8,
         "tokens_per_s_mean": 80.0}]}]})", "b.json", SmallResolver);
  ASSERT_TRUE(more.ok());
  AppendRuns(std::move(*more), &*all);
  ASSERT_EQ(all->measurements.size(), 2u);
  EXPECT_EQ(all->n_runs, 2);
  EXPECT_EQ(all->run_of[1], 1);
  HoldOutModels({"nomatch"}, &*all);
  EXPECT_FALSE(all->measurements[0].holdout || all->measurements[1].holdout);
  HoldOutModels({"sma"}, &*all);
  EXPECT_TRUE(all->measurements[0].holdout && all->measurements[1].holdout);
}

TEST(CalibrationRuns, ErrorsNameTheField) {
  auto message = [](const std::string& text) { return ParseCalibrationRuns(text, "r.json", SmallResolver).message(); };
  EXPECT_NE(message(R"({"schema_version": 1, "runs": [{"model": "small", "tests": [{"name": "xx5", "n_tokens": 5,
      "tokens_per_s_mean": 1}]}]})").find("'runs[0].tests[0].name'"), std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1, "runs": [{"model": "small", "tests": [{"name": "pp5", "n_tokens": 5,
      "tokens_per_s_mean": -1}]}]})").find("'runs[0].tests[0].tokens_per_s_mean'"), std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1, "runs": [{"model": "big", "tests": []}]})").find("no model 'big'"),
            std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1, "runs": []})").find("'runs'"), std::string::npos);
}

}  // namespace
}  // namespace mixq::forecast
