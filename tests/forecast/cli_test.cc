// The forecast and device commands end to end (skipped when the mixq binary is not built).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mixq::forecast {
namespace {

using ::mixq::testing::ReadFileToString;
using ::mixq::testing::RunMixq;
using ::mixq::testing::TempPath;
using ::mixq::testing::WriteStringToFile;

#define REQUIRE_BINARY()                                                  \
  do {                                                                    \
    struct stat st {};                                                    \
    if (::stat(MIXQ_BINARY, &st) != 0) GTEST_SKIP() << "mixq not built"; \
  } while (0)

std::string RepoDevice(const std::string& name) {
  std::string file = __FILE__;  // <root>/tests/forecast/cli_test.cc
  for (int i = 0; i < 3; ++i) file = file.substr(0, file.rfind('/'));
  return file + "/devices/" + name + ".json";
}

// A Hugging Face config.json of a ~100M-parameter GQA model (no weights needed).
std::string WriteConfig() {
  const std::string path = TempPath("config.json");
  WriteStringToFile(path, R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 512,
    "intermediate_size": 1536, "num_hidden_layers": 12, "num_attention_heads": 8, "num_key_value_heads": 2,
    "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
    "tie_word_embeddings": true})");
  return path;
}

TEST(ForecastCli, TableJsonAndSvg) {
  REQUIRE_BINARY();
  const std::string config = WriteConfig(), svg = TempPath("roofline.svg");
  auto r = RunMixq("forecast " + config + " --hw " + RepoDevice("raspberry-pi-5") + " --type q4_K --prompt 256 --gen 32"
                   " --svg " + svg);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("TTFT"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ffn_down"), std::string::npos);
  EXPECT_EQ(ReadFileToString(svg).rfind("<?xml", 0), 0u);
  r = RunMixq("forecast " + config + " --hw " + RepoDevice("nvidia-h100-sxm5") + " --type q8_0 --json --batch 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_GT(j["ttft_s"].get<double>(), 0);
  EXPECT_EQ(j["workload"]["batch"], 4);
  EXPECT_EQ(j["model"]["n_kv_heads"], 2);
}

TEST(ForecastCli, PlanFiles) {
  REQUIRE_BINARY();
  const std::string config = WriteConfig(), plan = TempPath("plan.json");
  WriteStringToFile(plan, R"({"schema_version": 1, "default_type": "q4_K", "kv_type": "q8_0",
                              "tensors": {"blk.0.ffn_down.weight": "q6_K"}})");
  auto r = RunMixq("forecast " + config + " --hw " + RepoDevice("raspberry-pi-5") + " --plan " + plan + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["model"]["kv_type"], "q8_0");
  WriteStringToFile(plan, R"({"schema_version": 1, "tensors": {"blk.99.ffn_down.weight": "q6_K"}})");
  r = RunMixq("forecast " + config + " --hw " + RepoDevice("raspberry-pi-5") + " --plan " + plan);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("blk.99.ffn_down.weight"), std::string::npos) << r.output;
}

TEST(ForecastCli, Errors) {
  REQUIRE_BINARY();
  const std::string config = WriteConfig();
  auto r = RunMixq("forecast " + config + " --hw no-such-board --type q4_0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no-such-board"), std::string::npos) << r.output;
  r = RunMixq("forecast " + config + " --hw " + RepoDevice("raspberry-pi-5") + " --type q9_9");
  EXPECT_NE(r.output.find("--type: unknown type 'q9_9'"), std::string::npos) << r.output;
  r = RunMixq("forecast " + config + " --hw " + RepoDevice("raspberry-pi-5") + " --type q4_0 --prompt 100 --ctx 50");
  EXPECT_NE(r.output.find("'ctx'"), std::string::npos) << r.output;
}

TEST(ForecastCli, CalibrateAndValidate) {
  REQUIRE_BINARY();
  const std::string config = WriteConfig(), runs = TempPath("runs.json"), out = TempPath("fitted.json");
  WriteStringToFile(runs, R"({"schema_version": 1, "runs": [
    {"model": ")" + config + R"(", "type": "f32", "tests": [
      {"name": "pp128", "n_tokens": 128, "tokens_per_s_mean": 300},
      {"name": "tg32", "n_tokens": 32, "tokens_per_s_mean": 30}]},
    {"model": ")" + config + R"(", "type": "bf16", "tests": [
      {"name": "pp128", "n_tokens": 128, "tokens_per_s_mean": 280},
      {"name": "tg32", "n_tokens": 32, "tokens_per_s_mean": 55}]},
    {"model": ")" + config + R"(", "type": "f16", "holdout": true, "tests": [
      {"name": "pp512", "n_tokens": 512, "tokens_per_s_mean": 250},
      {"name": "tg32", "n_tokens": 32, "tokens_per_s_mean": 52, "depth": 512}]}]})");
  const std::string hw = " --hw " + RepoDevice("this-machine");
  auto r = RunMixq("forecast calibrate " + runs + hw + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("after calibration"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("holdout"), std::string::npos);
  auto check = RunMixq("device check " + out);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find(" calibrated"), std::string::npos) << check.output;
  r = RunMixq("forecast validate " + runs + " --hw " + out + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["holdout"]["count"], 2);
  EXPECT_EQ(j["calibrated"], true);
  // The same file twice is two rounds of the same configurations: merged, not doubled.
  r = RunMixq("forecast validate " + runs + " " + runs + " --hw " + out + " --rounds median --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["all"]["count"], 6);
  EXPECT_EQ(j["rows"][0]["rounds"], 2);
  EXPECT_NE(RunMixq("forecast validate " + runs + hw + " --rounds max").exit_code, 0);
}

TEST(DeviceCli, CheckEveryShippedFile) {
  REQUIRE_BINARY();
  std::string dir = RepoDevice("x");
  dir = dir.substr(0, dir.rfind('/'));
  auto r = RunMixq("device check " + dir + "/*.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("raspberry-pi-5.json: ok"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mixq::forecast
