// llama.cpp's own GGUF files of wiki-llama-8m (F16 and every quantized type llama-quantize
// made): mixq must load each one (a type without a registered codec is a failure, not a skip)
// and reproduce llama.cpp's perplexity over the same 40 chunks of wikitext-2 within 0.5%.
// llama.cpp's values and the command that produced them: tests/testdata/llama_cpp_ppl_40chunks.json.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mixq/eval/perplexity.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/io/gguf.h"
#include "mixq/model/model.h"
#include "mixq/quant/codec.h"
#include "mixq/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::SharedPath;

constexpr char kGgufDir[] = "models/wiki-llama-8m/gguf";
constexpr char kWikiText[] = "data/text/wikitext2-test.raw";
constexpr double kMaxRelativeDiff = 0.005;

nlohmann::json Reference() {
  const std::string path = std::string(MIXQ_TESTDATA) + "/llama_cpp_ppl_40chunks.json";
  return nlohmann::json::parse(::mixq::testing::ReadFileToString(path), nullptr, false);
}

// The wikitext tokens (BOS + encode, CRLF -> LF), from the F16 file's vocabulary, which every
// file of the set shares (checked per file below).
class LlamaCppFiles : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (!::mixq::testing::SharedExists(kGgufDir) || !::mixq::testing::SharedExists(kWikiText)) return;
    auto f16 = Model::Load(SharedPath(std::string(kGgufDir) + "/wiki-llama-8m-F16.gguf"));
    ASSERT_TRUE(f16.ok()) << f16.message();
    auto tok = LoadTokenizer((*f16)->files());
    ASSERT_TRUE(tok.ok()) << tok.message();
    auto text = ReadTextFile(SharedPath(kWikiText), /*crlf_to_lf=*/true);
    ASSERT_TRUE(text.ok()) << text.message();
    auto tokens = TokenizeForPerplexity(**tok, *text);
    ASSERT_TRUE(tokens.ok()) << tokens.message();
    tokens_ = new std::vector<int32_t>(std::move(*tokens));
    bos_ = (*tok)->bos_id();
    vocab_ = new std::vector<std::string>(*(*f16)->files().gguf->GetStringArray("tokenizer.ggml.tokens"));
  }
  static void TearDownTestSuite() {
    delete tokens_;
    delete vocab_;
    tokens_ = nullptr;
    vocab_ = nullptr;
  }

  static std::vector<int32_t>* tokens_;
  static std::vector<std::string>* vocab_;
  static int32_t bos_;
};
std::vector<int32_t>* LlamaCppFiles::tokens_ = nullptr;
std::vector<std::string>* LlamaCppFiles::vocab_ = nullptr;
int32_t LlamaCppFiles::bos_ = -1;

TEST_P(LlamaCppFiles, PerplexityMatchesLlamaCpp) {
  const std::string file = GetParam();
  const std::string rel = std::string(kGgufDir) + "/" + file;
  MIXQ_REQUIRE_SHARED(rel);
  MIXQ_REQUIRE_SHARED(kWikiText);
  ASSERT_TRUE(tokens_ != nullptr);
  const nlohmann::json ref = Reference();
  ASSERT_TRUE(ref.is_object()) << "tests/testdata/llama_cpp_ppl_40chunks.json";
  ASSERT_TRUE(ref["files"].contains(file)) << file;

  auto gguf = GgufFile::Open(SharedPath(rel));
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  for (const GgufTensorInfo& t : (*gguf)->tensor_infos()) {
    const DTypeInfo& info = GetDTypeInfo(t.dtype);
    ASSERT_TRUE(!info.quantized || FindQuantCodec(t.dtype) != nullptr)
        << file << ": tensor '" << t.name << "' is " << info.name << ", which has no registered codec";
  }
  EXPECT_EQ(*(*gguf)->GetStringArray("tokenizer.ggml.tokens"), *vocab_) << "the files share one vocabulary";

  auto model = Model::Load(SharedPath(rel));
  ASSERT_TRUE(model.ok()) << model.message();
  PerplexityOptions o;
  o.n_ctx = ref["n_ctx"].get<int64_t>();
  o.n_batch = ref["n_batch"].get<int64_t>();
  o.max_chunks = ref["chunks"].get<int64_t>();
  std::vector<double> running;
  auto r = RunPerplexity(Context::Default(), *model, *tokens_, bos_, o,
                         [&](const ChunkProgress& p) { running.push_back(p.running.ppl); });
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->layout.n_chunks, o.max_chunks);

  const double want = ref["files"][file]["ppl"].get<double>();
  const double rel_diff = r->ppl.ppl / want - 1.0;
  // The largest per-chunk gap of the running estimates, for the report.
  const auto& want_running = ref["files"][file]["running_ppl"];
  double worst = 0;
  for (size_t i = 0; i < running.size() && i < want_running.size(); ++i)
    worst = std::max(worst, std::fabs(running[i] / want_running[i].get<double>() - 1.0));
  std::printf("%-28s mixq PPL %.4f  llama.cpp %.4f  diff %+.4f%%  (worst running-estimate diff %.4f%%)\n",
              file.c_str(), r->ppl.ppl, want, 100.0 * rel_diff, 100.0 * worst);
  EXPECT_LT(std::fabs(rel_diff), kMaxRelativeDiff) << file << ": mixq " << r->ppl.ppl << " vs llama.cpp " << want;
}

INSTANTIATE_TEST_SUITE_P(WikiLlama8m, LlamaCppFiles,
                         ::testing::Values("wiki-llama-8m-F16.gguf", "wiki-llama-8m-Q8_0.gguf", "wiki-llama-8m-Q6_K.gguf",
                                           "wiki-llama-8m-Q4_K_M.gguf", "wiki-llama-8m-Q4_0.gguf",
                                           "wiki-llama-8m-Q3_K_M.gguf", "wiki-llama-8m-Q2_K.gguf"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(std::string("wiki-llama-8m-").size());
                           return name.substr(0, name.find('.'));
                         });

// Every file in the folder has a reference value (a new file must be measured with llama.cpp).
TEST(LlamaCppFilesList, EveryFileHasAReference) {
  MIXQ_REQUIRE_SHARED(kGgufDir);
  const nlohmann::json ref = Reference();
  ASSERT_TRUE(ref.is_object());
  EXPECT_TRUE(ref["provenance"].contains("command"));
  EXPECT_TRUE(ref["provenance"].contains("llama_cpp_build"));
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SharedPath(kGgufDir))) {
    if (entry.path().extension() != ".gguf") continue;
    ++n;
    EXPECT_TRUE(ref["files"].contains(entry.path().filename().string())) << entry.path();
  }
  EXPECT_EQ(n, ref["files"].size());
}

}  // namespace
}  // namespace mixq::eval
