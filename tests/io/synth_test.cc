// mixq synth's library side: built-in shapes, deterministic weights, the tokenizer.json, and
// loading the written directory back through LoadModelFiles.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "io/io_test_util.h"
#include "mixq/base/half.h"
#include "mixq/io/model_files.h"
#include "mixq/io/synth_model.h"

namespace mixq {
namespace {

using ::mixq::testing::ReadFileToString;
using ::mixq::testing::TempPath;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::shared_ptr<LoadedModel> SynthAndLoad(const std::string& dir, const ModelConfig& c, const SynthOptions& o) {
  std::filesystem::remove_all(dir);
  const Status st = WriteSynthModel(dir, c, o);
  EXPECT_TRUE(st.ok()) << st.message();
  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(dir);
  EXPECT_TRUE(m.ok()) << m.message();
  return m.ok() ? *m : nullptr;
}

TEST(SynthTest, TinyLoadsBackThroughLoadModelFiles) {
  const ModelConfig want = SynthShape("tiny").value();
  const std::string dir = TempPath("tiny");
  std::shared_ptr<LoadedModel> m = SynthAndLoad(dir, want, SynthOptions{});
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir + ".tmp"));
  const ModelConfig& c = m->config;
  EXPECT_EQ(c.arch, Architecture::kLlama);
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 192);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 256);
  EXPECT_EQ(c.bos_token_id, want.bos_token_id);

  const Tensor* norm = m->tensors.Find("blk.1.ffn_norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->dtype, DType::kBF16);
  for (int i = 0; i < 64; ++i) ASSERT_EQ(Bf16ToFloat(norm->as<uint16_t>()[i]), 1.0f);
  // Matrices are N(0, 0.02^2): check the sample std and mean over 192*64 values.
  const Tensor* up = m->tensors.Find("blk.0.ffn_up.weight");
  double sum = 0, sum2 = 0;
  for (int64_t i = 0; i < up->numel(); ++i) {
    const double v = Bf16ToFloat(up->as<uint16_t>()[i]);
    sum += v;
    sum2 += v * v;
  }
  const double mean = sum / up->numel(), sd = std::sqrt(sum2 / up->numel() - mean * mean);
  EXPECT_NEAR(sd, 0.02, 0.001);
  EXPECT_NEAR(mean, 0.0, 0.001);
}

TEST(SynthTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const ModelConfig c = SynthShape("tiny").value();
  SynthOptions o;
  o.seed = 7;
  SynthAndLoad(TempPath("a"), c, o);
  SynthAndLoad(TempPath("b"), c, o);
  o.seed = 8;
  SynthAndLoad(TempPath("c"), c, o);
  const std::string a = ReadFileToString(TempPath("a") + "/model.safetensors");
  EXPECT_GT(a.size(), 100000u);
  EXPECT_EQ(a, ReadFileToString(TempPath("b") + "/model.safetensors"));
  EXPECT_NE(a, ReadFileToString(TempPath("c") + "/model.safetensors"));
}

TEST(SynthTest, RefusesExistingDirectoryUnlessOverwrite) {
  const std::string dir = TempPath("exists");
  std::filesystem::create_directories(dir);
  const ModelConfig c = SynthShape("tiny").value();
  Status st = WriteSynthModel(dir, c, SynthOptions{});
  EXPECT_THAT(st.message(), AllOf(HasSubstr(dir), HasSubstr("already exists")));
  SynthOptions o;
  o.overwrite = true;
  ASSERT_TRUE(WriteSynthModel(dir, c, o).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/config.json"));
}

TEST(SynthTest, Qwen2AndQwen3ConfigsWithF16AndF32) {
  nlohmann::json j = ::mixq::testing::TinyHfConfigJson();
  j["vocab_size"] = 300;
  j["architectures"] = {"Qwen2ForCausalLM"};
  SynthOptions o;
  o.dtype = DType::kF16;
  std::shared_ptr<LoadedModel> m = SynthAndLoad(TempPath("qwen2"), ::mixq::testing::ConfigFromJson(j), o);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->config.qkv_bias);
  EXPECT_EQ(m->tensors.Find("blk.1.attn_v.bias")->dtype, DType::kF16);

  j["architectures"] = {"Qwen3ForCausalLM"};
  j["head_dim"] = 8;
  o.dtype = DType::kF32;
  m = SynthAndLoad(TempPath("qwen3"), ::mixq::testing::ConfigFromJson(j), o);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->config.qk_norm);
  const Tensor* qn = m->tensors.Find("blk.0.attn_q_norm.weight");
  ASSERT_NE(qn, nullptr);
  EXPECT_EQ(qn->shape, (std::vector<int64_t>{8}));
  EXPECT_EQ(qn->as<float>()[3], 1.0f);
}

TEST(SynthTest, BuiltInShapesAreValid) {
  for (const std::string& name : SynthShapeNames()) {
    Result<ModelConfig> c = SynthShape(name);
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_TRUE(c->Validate(name).ok()) << name;
  }
  const ModelConfig q3 = SynthShape("qwen3-0.6b-llama").value();
  EXPECT_EQ(q3.arch, Architecture::kLlama);
  EXPECT_EQ(q3.q_dim(), 2048);
  EXPECT_TRUE(q3.tied_embeddings);
  const ModelConfig q2 = SynthShape("qwen2.5-0.5b").value();
  EXPECT_TRUE(q2.qkv_bias);
  EXPECT_EQ(q2.vocab_size, 151936);
  EXPECT_EQ(SynthShape("smollm2-135m")->n_layers, 30);
  EXPECT_THAT(SynthShape("gpt-5").message(), AllOf(HasSubstr("unknown shape 'gpt-5'"), HasSubstr("tiny")));
}

TEST(SynthTest, TokenizerIsByteLevelBpeWithSpecials) {
  ModelConfig c = SynthShape("tiny").value();
  const nlohmann::json j = nlohmann::json::parse(SynthTokenizerJson(c).value());
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(j["decoder"]["type"], "ByteLevel");
  EXPECT_TRUE(j["model"]["merges"].empty());
  const nlohmann::json& vocab = j["model"]["vocab"];
  ASSERT_EQ(vocab.size(), 512u);
  std::set<int64_t> ids;
  for (const auto& [token, id] : vocab.items()) ids.insert(id.get<int64_t>());
  EXPECT_EQ(ids.size(), 512u);
  EXPECT_EQ(*ids.rbegin(), 511);
  EXPECT_EQ(vocab["<s>"], 1);
  EXPECT_EQ(vocab["</s>"], 2);
  EXPECT_EQ(vocab["!"], 0);            // GPT-2 order: printable bytes first
  EXPECT_TRUE(vocab.contains("\xc4\xa0"));  // U+0120 'Ġ' is the space byte
  EXPECT_TRUE(vocab.contains("<extra_511>"));
  ASSERT_EQ(j["added_tokens"].size(), 2u);
  EXPECT_EQ(j["added_tokens"][0]["id"], 1);
  EXPECT_TRUE(j["added_tokens"][0]["special"].get<bool>());

  c.vocab_size = 200;
  EXPECT_THAT(SynthTokenizerJson(c).message(), HasSubstr("too small"));
}

}  // namespace
}  // namespace mixq
