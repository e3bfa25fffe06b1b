// End-to-end tests of `mixq inspect` and `mixq run` through the binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mixq {
namespace {

using testing::ReadFileToString;
using testing::RunMixq;
using testing::SharedPath;

const char* kStories = "models/stories260K/stories260K.bin";

nlohmann::json RunJson(const std::string& args) {
  const auto r = RunMixq(args + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

TEST(InspectCli, Llama2cCheckpointJson) {
  MIXQ_REQUIRE_SHARED(kStories);
  const auto j = RunJson("inspect " + SharedPath(kStories) + " --json");
  EXPECT_EQ(j["format"], "llama2c");
  EXPECT_EQ(j["config"]["hidden_size"], 64);
  EXPECT_EQ(j["config"]["num_key_value_heads"], 4);
  EXPECT_EQ(j["config"]["rope_layout"], "interleaved");
  // dim 64, hidden 172, 5 layers, kv_dim 32, vocab 512 shared: 512*64 + 5*(2*64 + 2*64*64 +
  // 2*32*64 + 3*172*64) + 64
  EXPECT_EQ(j["parameters"], 512 * 64 + 5 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 3 * 172 * 64) + 64);
  EXPECT_DOUBLE_EQ(j["bits_per_weight"].get<double>(), 32.0);
  EXPECT_EQ(j["tensors"].size(), 2u + 5u * 9u);
}

TEST(InspectCli, LlamaCppQuantizedGgufShowsTypesAndBitsPerWeight) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf");
  const auto j = RunJson("inspect " + SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf") + " --json");
  EXPECT_EQ(j["format"], "gguf");
  int q4_0 = 0;
  for (const auto& t : j["tensors"]) q4_0 += t["type"] == "q4_0";
  EXPECT_GE(q4_0, 8 * 7);  // every linear layer
  const double bpw = j["bits_per_weight"];
  EXPECT_GT(bpw, 4.5);  // norms (f32) and the q6_K output head push it above 4.5
  EXPECT_LT(bpw, 6.0);
}

TEST(InspectCli, MissingModelIsAClearError) {
  const auto r = RunMixq("inspect /nonexistent/model.gguf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent/model.gguf"), std::string::npos) << r.output;
}

// Greedy generation from BOS alone reproduces the start of llama2.c's golden text.
TEST(RunCli, GreedyFromBosFollowsTheGolden) {
  MIXQ_REQUIRE_SHARED(kStories);
  const auto j = RunJson("run " + SharedPath(kStories) + " -p '' -n 60 --temp 0 --json");
  const std::string text = j["text"];
  const std::string golden = ReadFileToString(SharedPath("models/stories260K/expected-greedy-200.txt"));
  ASSERT_GT(text.size(), 100u);
  EXPECT_EQ(golden.substr(0, text.size()), text);
  EXPECT_EQ(j["generated_tokens"], 60);
}

TEST(RunCli, SeededSamplingIsReproducibleAndSeedsDiffer) {
  MIXQ_REQUIRE_SHARED(kStories);
  const std::string base = "run " + SharedPath(kStories) + " -p 'Once upon a time' -n 40 --temp 0.9 --json -t 1";
  const std::string a = RunJson(base + " --seed 5")["text"], b = RunJson(base + " --seed 5")["text"];
  const std::string c = RunJson(base + " --seed 6")["text"];
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.rfind("Once upon a time", 0), 0u) << a;
}

TEST(RunCli, BadOptionsAreClearErrors) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto r = RunMixq("run " + SharedPath(kStories) + " -p hi --isa avx9000");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("avx9000"), std::string::npos) << r.output;
  r = RunMixq("run " + SharedPath(kStories) + " -p hi -c 2 -n 5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("context"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mixq
