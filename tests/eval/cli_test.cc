// The perplexity and bench commands end to end (the mixq binary, run through RunMixq).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::RunMixq;
using ::mixq::testing::SharedPath;

constexpr char kStories[] = "models/stories260K/stories260K.bin";
constexpr char kTinyText[] = "data/text/calib-tiny.txt";

// The CLI tests need the mixq binary, which the eval test target does not build by itself.
#define REQUIRE_BINARY()                                                          \
  do {                                                                            \
    struct stat st {};                                                            \
    if (::stat(MIXQ_BINARY, &st) != 0) GTEST_SKIP() << "mixq binary not built: " << MIXQ_BINARY; \
  } while (0)

// The JSON object printed on stdout (progress and errors go to stderr, captured in the same
// stream, so take the text from the first '{').
nlohmann::json ParseJson(const std::string& output) {
  const size_t start = output.find('{');
  if (start == std::string::npos) return {};
  const size_t end = output.rfind('}');
  return nlohmann::json::parse(output.substr(start, end - start + 1), nullptr, false);
}

TEST(PerplexityCli, JsonOnStories260K) {
  MIXQ_REQUIRE_SHARED(kStories);
  MIXQ_REQUIRE_SHARED(kTinyText);
  REQUIRE_BINARY();
  const auto run = RunMixq("perplexity " + SharedPath(kStories) + " -f " + SharedPath(kTinyText) +
                           " -c 64 -b 32 --chunks 3 --json -q");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto j = ParseJson(run.output);
  ASSERT_TRUE(j.is_object()) << run.output;
  EXPECT_EQ(j["n_ctx"], 64);
  EXPECT_EQ(j["n_batch"], 32);
  EXPECT_EQ(j["n_chunks"], 3);
  EXPECT_EQ(j["scored_per_chunk"], 31);
  EXPECT_EQ(j["n_scored"], 93);
  EXPECT_EQ(j["chunk_mean_nll"].size(), 3u);
  // A model trained on TinyStories-like text is far better than uniform over its 512 tokens.
  EXPECT_GT(j["ppl"].get<double>(), 1.0);
  EXPECT_LT(j["ppl"].get<double>(), 100.0);
  EXPECT_NEAR(j["ppl_stderr"].get<double>(), j["ppl"].get<double>() * j["nll_stderr"].get<double>(), 1e-6);
}

TEST(PerplexityCli, SaveLogitsThenKldAgainstItself) {
  MIXQ_REQUIRE_SHARED(kStories);
  MIXQ_REQUIRE_SHARED(kTinyText);
  REQUIRE_BINARY();
  const std::string base = ::mixq::testing::TempPath("stories.logits");
  const std::string args = "perplexity " + SharedPath(kStories) + " -f " + SharedPath(kTinyText) + " -c 64 --chunks 2 -q";
  const auto save = RunMixq(args + " --save-logits " + base);
  ASSERT_EQ(save.exit_code, 0) << save.output;
  EXPECT_NE(save.output.find("PPL = "), std::string::npos) << save.output;
  const auto kld = RunMixq(args + " --kld-base " + base + " --json");
  ASSERT_EQ(kld.exit_code, 0) << kld.output;
  const auto j = ParseJson(kld.output);
  ASSERT_TRUE(j.is_object()) << kld.output;
  EXPECT_LT(j["kld"]["mean"].get<double>(), 1e-6);
  EXPECT_EQ(j["kld"]["same_top1"].get<double>(), 1.0);
  EXPECT_EQ(j["kld"]["n_positions"], 62);

  // Without -f, -c or --chunks the baseline's tokens and settings are used.
  const auto reuse = RunMixq("perplexity " + SharedPath(kStories) + " -q --json --kld-base " + base);
  ASSERT_EQ(reuse.exit_code, 0) << reuse.output;
  const auto k = ParseJson(reuse.output);
  EXPECT_EQ(k["n_ctx"], 64);
  EXPECT_EQ(k["n_chunks"], 2);
  EXPECT_EQ(k["ppl"], j["ppl"]);

  const auto mismatch = RunMixq("perplexity " + SharedPath(kStories) + " -f " + SharedPath(kTinyText) +
                                " -c 32 --chunks 2 -q --kld-base " + base);
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_NE(mismatch.output.find("mixq: error: [logits] " + base + ": n_ctx is 64, this run uses 32"),
            std::string::npos)
      << mismatch.output;
}

TEST(PerplexityCli, ErrorsNameTheFile) {
  MIXQ_REQUIRE_SHARED(kStories);
  REQUIRE_BINARY();
  const auto r = RunMixq("perplexity " + SharedPath(kStories) + " -f /nonexistent/text.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("mixq: error: [perplexity] /nonexistent/text.txt: cannot open"), std::string::npos)
      << r.output;
  const auto no_text = RunMixq("perplexity " + SharedPath(kStories));
  EXPECT_EQ(no_text.exit_code, 1);
  EXPECT_NE(no_text.output.find("-f/--file is required"), std::string::npos) << no_text.output;
}

TEST(BenchCli, JsonOnStories260K) {
  MIXQ_REQUIRE_SHARED(kStories);
  REQUIRE_BINARY();
  const auto run = RunMixq("bench " + SharedPath(kStories) + " -p 16,32 -n 4 -r 2 --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto j = ParseJson(run.output);
  ASSERT_TRUE(j.is_object()) << run.output;
  EXPECT_EQ(j["repetitions"], 2);
  EXPECT_GT(j["n_params"].get<int64_t>(), 200000);
  ASSERT_EQ(j["tests"].size(), 3u);
  EXPECT_EQ(j["tests"][0]["name"], "pp16");
  EXPECT_EQ(j["tests"][1]["name"], "pp32");
  EXPECT_EQ(j["tests"][2]["name"], "tg4");
  for (const auto& t : j["tests"]) {
    EXPECT_GT(t["tokens_per_s_mean"].get<double>(), 0.0);
    EXPECT_EQ(t["samples_tokens_per_s"].size(), 2u);
  }
  const auto table = RunMixq("bench " + SharedPath(kStories) + " -p 8 -n 0 -r 1");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("| pp8 |"), std::string::npos) << table.output;
  EXPECT_EQ(table.output.find("tg"), std::string::npos) << table.output;
}

}  // namespace
}  // namespace mixq::eval
