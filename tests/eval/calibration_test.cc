// Calibration statistics: collection on stories260K (names, widths, positivity, a hand
// computation of one tensor's statistics), the JSON and binary files (exact round trips,
// malformed files refused with messages naming the field), and `mixq calibrate` end to end.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "mixq/eval/calibration.h"
#include "mixq/model/model.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::SharedPath;
using ::mixq::testing::TempPath;

constexpr char kStories[] = "models/stories260K/stories260K.bin";
constexpr char kTinyText[] = "data/text/calib-tiny.txt";

std::shared_ptr<const Model> LoadStories() {
  auto model = Model::Load(SharedPath(kStories));
  EXPECT_TRUE(model.ok()) << model.message();
  return model.ok() ? *model : nullptr;
}

// Every matrix the forward pass multiplies by: 7 per layer plus the output projection (the
// embedding itself when tied).
std::vector<std::string> ExpectedTensors(const Model& model) {
  std::vector<std::string> names;
  for (int64_t l = 0; l < model.config().n_layers; ++l)
    for (const char* s : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"})
      names.push_back("blk." + std::to_string(l) + "." + s + ".weight");
  names.push_back(model.files().tensors.Contains("output.weight") ? "output.weight" : "token_embd.weight");
  return names;
}

TEST(Calibration, NamesWidthsAndCountsOnStories260K) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto model = LoadStories();
  ASSERT_TRUE(model);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 150; ++i) tokens.push_back(1 + (i * 37) % 500);
  CalibrationOptions o;
  o.n_ctx = 64;
  o.n_batch = 24;
  auto stats = CollectActivationStats(Context::Default(), model, tokens, 1, o);
  ASSERT_TRUE(stats.ok()) << stats.message();
  EXPECT_EQ(stats->provenance.n_chunks, 3);  // 64 + 64 + 22
  EXPECT_EQ(stats->provenance.n_tokens, 150);
  const std::vector<std::string> expected = ExpectedTensors(*model);
  EXPECT_EQ(stats->tensors.size(), expected.size());
  for (const std::string& name : expected) {
    SCOPED_TRACE(name);
    const TensorActivationStats* t = stats->Find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(static_cast<int64_t>(t->sum_sq.size()), model->files().tensors.Find(name)->cols());
    EXPECT_EQ(t->n_tokens, 150);
    for (double v : t->sum_sq) EXPECT_GT(v, 0.0);
    const std::vector<float> mean = t->MeanSquare();
    EXPECT_FLOAT_EQ(mean[0], static_cast<float>(t->sum_sq[0] / 150.0));
  }
  // One thread or all give the same sums bit for bit; other batch sizes the same up to rounding.
  Context one = Context::Default();
  one.n_threads = 1;
  auto single = CollectActivationStats(one, model, tokens, 1, o);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->Find("blk.0.ffn_down.weight")->sum_sq, stats->Find("blk.0.ffn_down.weight")->sum_sq);
  o.n_batch = 64;
  auto batched = CollectActivationStats(Context::Default(), model, tokens, 1, o);
  ASSERT_TRUE(batched.ok());
  const std::vector<double>& a = batched->Find("blk.0.ffn_down.weight")->sum_sq;
  const std::vector<double>& b = stats->Find("blk.0.ffn_down.weight")->sum_sq;
  for (size_t c = 0; c < a.size(); ++c) EXPECT_NEAR(a[c], b[c], 1e-4 * b[c]) << c;
}

// The input of attn_q/k/v in layer 0 is RMSNorm(embedding) * attn_norm: computed here from the
// checkpoint's f32 tensors, independently of the forward pass.
TEST(Calibration, FirstLayerStatisticsMatchAHandComputation) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto model = LoadStories();
  ASSERT_TRUE(model);
  const std::vector<int32_t> tokens = {1, 403};
  CalibrationOptions o;
  o.n_ctx = 8;
  auto stats = CollectActivationStats(Context::Default(), model, tokens, -1, o);
  ASSERT_TRUE(stats.ok()) << stats.message();

  const Tensor* embd = model->files().tensors.Find("token_embd.weight");
  const Tensor* norm = model->files().tensors.Find("blk.0.attn_norm.weight");
  ASSERT_TRUE(embd && norm);
  ASSERT_EQ(embd->dtype, DType::kF32);
  const int64_t dim = embd->cols();
  const double eps = model->config().norm_eps;
  std::vector<double> expected(static_cast<size_t>(dim), 0.0);
  for (int32_t tok : tokens) {
    const float* e = embd->as<float>() + tok * dim;
    double ms = 0.0;
    for (int64_t c = 0; c < dim; ++c) ms += static_cast<double>(e[c]) * e[c];
    const double inv = 1.0 / std::sqrt(ms / dim + eps);
    for (int64_t c = 0; c < dim; ++c) {
      const double x = e[c] * inv * norm->as<float>()[c];
      expected[c] += x * x;
    }
  }
  for (const char* name : {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"}) {
    SCOPED_TRACE(name);
    const TensorActivationStats* t = stats->Find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->n_tokens, 2);
    for (int64_t c = 0; c < dim; ++c) EXPECT_NEAR(t->sum_sq[c], expected[c], 1e-5 * expected[c] + 1e-12) << c;
  }
}

ActivationStats SmallStats() {
  ActivationStats s;
  s.provenance = {"m.bin", "t.txt", 1234, "0123456789abcdef", 64, 3, 150, 1};
  s.tensors["blk.0.attn_q.weight"] = {{0.1, 1.0 / 3.0, 2e300, 0.0}, 150};
  s.tensors["output.weight"] = {{5.5, 6.25}, 149};
  return s;
}

void ExpectSame(const ActivationStats& a, const ActivationStats& b) {
  EXPECT_EQ(a.provenance.model, b.provenance.model);
  EXPECT_EQ(a.provenance.text, b.provenance.text);
  EXPECT_EQ(a.provenance.text_bytes, b.provenance.text_bytes);
  EXPECT_EQ(a.provenance.text_fnv1a64, b.provenance.text_fnv1a64);
  EXPECT_EQ(a.provenance.n_ctx, b.provenance.n_ctx);
  EXPECT_EQ(a.provenance.n_chunks, b.provenance.n_chunks);
  EXPECT_EQ(a.provenance.n_tokens, b.provenance.n_tokens);
  EXPECT_EQ(a.provenance.bos_id, b.provenance.bos_id);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    ASSERT_NE(b.Find(name), nullptr) << name;
    EXPECT_EQ(b.Find(name)->sum_sq, t.sum_sq) << name;  // bit-exact doubles
    EXPECT_EQ(b.Find(name)->n_tokens, t.n_tokens) << name;
  }
}

TEST(Calibration, JsonAndBinaryFilesRoundTripExactly) {
  const ActivationStats s = SmallStats();
  for (const char* file : {"stats.json", "stats.bin"}) {
    SCOPED_TRACE(file);
    const std::string path = TempPath(file);
    ASSERT_TRUE(SaveActivationStats(s, path).ok());
    auto loaded = LoadActivationStats(path);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    ExpectSame(s, *loaded);
  }
  const std::string bin = ::mixq::testing::ReadFileToString(TempPath("stats.bin"));
  EXPECT_EQ(bin.substr(0, 8), "MIXQACTS");
  EXPECT_EQ(bin.size() % 8, 0u);  // data section 8-aligned, 6 doubles at its end
  EXPECT_FALSE(SaveActivationStats(s, TempPath("stats.txt")).ok());
  EXPECT_EQ(Fnv1a64Hex(""), "cbf29ce484222325");
  EXPECT_EQ(Fnv1a64Hex("a"), "af63dc4c8601ec8c");
}

// Saves SmallStats as JSON, applies `edit` to the text, and returns the loader's error.
std::string LoadEditedJson(const std::string& from, const std::string& to) {
  const std::string path = TempPath("edited.json");
  EXPECT_TRUE(SaveActivationStats(SmallStats(), path).ok());
  std::string text = ::mixq::testing::ReadFileToString(path);
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  ::mixq::testing::WriteStringToFile(path, text);
  auto loaded = LoadActivationStats(path);
  return loaded.ok() ? "" : loaded.message();
}

TEST(Calibration, MalformedFilesAreRefusedNamingTheField) {
  EXPECT_NE(LoadEditedJson("\"schema_version\": 1", "\"schema_version\": 2").find("unsupported schema_version 2"),
            std::string::npos);
  EXPECT_NE(LoadEditedJson("5.5", "-5.5").find("'output.weight': channel 0 holds -5.5"), std::string::npos);
  EXPECT_NE(LoadEditedJson("\"cols\": 2", "\"cols\": 3").find("'output.weight': 2 values, 'cols' says 3"),
            std::string::npos);
  EXPECT_NE(LoadEditedJson("\"output.weight\"", "\"blk.0.attn_q.weight\"").find("listed twice"), std::string::npos);
  EXPECT_NE(LoadEditedJson("\"n_ctx\": 64", "\"n_ctx\": \"64\"").find("provenance: 'n_ctx' must be an integer"),
            std::string::npos);
  EXPECT_NE(LoadEditedJson("{", "[").find("not valid JSON"), std::string::npos);

  const std::string bin = TempPath("truncated.bin");
  ASSERT_TRUE(SaveActivationStats(SmallStats(), bin).ok());
  std::string bytes = ::mixq::testing::ReadFileToString(bin);
  ::mixq::testing::WriteStringToFile(bin, bytes.substr(0, bytes.size() - 8));
  auto loaded = LoadActivationStats(bin);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.message().find("past the end"), std::string::npos) << loaded.message();
  EXPECT_FALSE(LoadActivationStats(TempPath("missing.json")).ok());
}

TEST(CalibrationCli, WritesStatsTheLoaderReads) {
  MIXQ_REQUIRE_SHARED(kStories);
  MIXQ_REQUIRE_SHARED(kTinyText);
  struct stat st {};
  if (::stat(MIXQ_BINARY, &st) != 0) GTEST_SKIP() << "mixq binary not built: " << MIXQ_BINARY;
  const std::string out = TempPath("cli.bin");
  const auto run = ::mixq::testing::RunMixq("calibrate " + SharedPath(kStories) + " -f " + SharedPath(kTinyText) +
                                            " -c 64 --chunks 2 -o " + out);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[calibrate] chunk 2/2"), std::string::npos) << run.output;
  auto stats = LoadActivationStats(out);
  ASSERT_TRUE(stats.ok()) << stats.message();
  EXPECT_EQ(stats->provenance.n_ctx, 64);
  EXPECT_EQ(stats->provenance.n_chunks, 2);
  EXPECT_EQ(stats->provenance.n_tokens, 128);
  EXPECT_EQ(stats->provenance.bos_id, 1);
  EXPECT_EQ(stats->provenance.text, SharedPath(kTinyText));
  EXPECT_EQ(stats->Find("blk.0.attn_q.weight")->n_tokens, 128);

  const auto bad = ::mixq::testing::RunMixq("calibrate " + SharedPath(kStories) + " -f " + SharedPath(kTinyText) +
                                            " -o " + TempPath("cli.txt"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("use .json or .bin"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace mixq::eval
