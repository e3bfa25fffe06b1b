// Hugging Face checkpoints: config.json parsing, tensor renaming, sharded checkpoints, and
// the real wiki-llama-8m model from ../shared.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "io/io_test_util.h"
#include "mixq/io/model_files.h"

namespace mixq {
namespace {

using ::mixq::testing::ConfigFromJson;
using ::mixq::testing::MakeHfTensors;
using ::mixq::testing::OwnedTensors;
using ::mixq::testing::TempPath;
using ::mixq::testing::TinyHfConfigJson;
using ::mixq::testing::WriteHfDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ConfigError(const nlohmann::json& j) {
  Result<ModelConfig> c = ParseHfConfig(j.dump(), "/m/config.json");
  EXPECT_FALSE(c.ok());
  return c.ok() ? std::string() : c.message();
}

TEST(HfModelTest, LoadsWikiLlama8m) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/model.safetensors");
  const std::string dir = ::mixq::testing::SharedPath("models/wiki-llama-8m");
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_TRUE(r.ok()) << r.message();
  const LoadedModel& m = **r;
  EXPECT_EQ(m.format, ModelFormat::kHuggingFace);
  const ModelConfig& c = m.config;
  EXPECT_EQ(c.arch, Architecture::kLlama);
  EXPECT_EQ(c.dim, 256);
  EXPECT_EQ(c.hidden_dim, 768);
  EXPECT_EQ(c.n_layers, 8);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.vocab_size, 4096);
  EXPECT_EQ(c.max_seq_len, 512);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_FLOAT_EQ(c.rope_theta, 10000.0f);
  EXPECT_EQ(c.rope_layout, RopeLayout::kHalf);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_FALSE(c.rope_scaling.enabled);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);
  EXPECT_EQ(m.tensors.size(), 3u + 8u * 9u);

  const Tensor* embd = m.tensors.Find("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->dtype, DType::kBF16);
  EXPECT_EQ(embd->shape, (std::vector<int64_t>{4096, 256}));
  EXPECT_EQ(embd->nbytes, 4096u * 256u * 2u);
  const Tensor* down = m.tensors.Find("blk.7.ffn_down.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->shape, (std::vector<int64_t>{256, 768}));
  ASSERT_NE(m.tensors.Find("output.weight"), nullptr);

  // The view points at the bytes the header names: lm_head.weight is at blob offset 0 and
  // model.embed_tokens.weight at 2097152 (header length 8136).
  const std::string raw = ::mixq::testing::ReadFileToString(dir + "/model.safetensors");
  const size_t blob = 8 + 8136;
  EXPECT_EQ(std::memcmp(embd->data, raw.data() + blob + 2097152, 64), 0);
  EXPECT_EQ(std::memcmp(m.tensors.Find("output.weight")->data, raw.data() + blob, 64), 0);
}

TEST(HfModelTest, TensorNamesMapBothWays) {
  const std::pair<const char*, const char*> cases[] = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
      {"model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"},
      {"model.layers.12.self_attn.q_proj.weight", "blk.12.attn_q.weight"},
      {"model.layers.3.self_attn.k_proj.bias", "blk.3.attn_k.bias"},
      {"model.layers.3.self_attn.v_proj.weight", "blk.3.attn_v.weight"},
      {"model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"},
      {"model.layers.3.self_attn.q_norm.weight", "blk.3.attn_q_norm.weight"},
      {"model.layers.3.self_attn.k_norm.weight", "blk.3.attn_k_norm.weight"},
      {"model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight"},
      {"model.layers.3.mlp.gate_proj.weight", "blk.3.ffn_gate.weight"},
      {"model.layers.3.mlp.up_proj.weight", "blk.3.ffn_up.weight"},
      {"model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight"},
  };
  for (const auto& [hf, canonical] : cases) {
    EXPECT_EQ(CanonicalFromHfName(hf).value_or("none"), canonical) << hf;
    EXPECT_EQ(HfNameFromCanonical(canonical), hf) << canonical;
  }
  EXPECT_FALSE(CanonicalFromHfName("model.layers.0.self_attn.rotary_emb.inv_freq").has_value());
  EXPECT_FALSE(CanonicalFromHfName("model.layers.x.mlp.up_proj.weight").has_value());
}

TEST(HfModelTest, Qwen2HasQkvBias) {
  nlohmann::json j = TinyHfConfigJson();
  j["architectures"] = {"Qwen2ForCausalLM"};
  j["eos_token_id"] = {7, 8};
  ModelConfig c = ConfigFromJson(j);
  EXPECT_EQ(c.arch, Architecture::kQwen2);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.head_dim, 4);  // hidden 16 / 4 heads
  EXPECT_EQ(c.eos_token_id, 7);  // first of the list
}

TEST(HfModelTest, Qwen3HasQkNormAndExplicitHeadDim) {
  nlohmann::json j = TinyHfConfigJson();
  j["architectures"] = {"Qwen3ForCausalLM"};
  j["head_dim"] = 8;
  ModelConfig c = ConfigFromJson(j);
  EXPECT_EQ(c.arch, Architecture::kQwen3);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.q_dim(), 32);
}

TEST(HfModelTest, Llama3RopeScaling) {
  nlohmann::json j = TinyHfConfigJson();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 32.0}, {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  ModelConfig c = ConfigFromJson(j);
  EXPECT_TRUE(c.rope_scaling.enabled);
  EXPECT_FLOAT_EQ(c.rope_scaling.factor, 32.0f);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
}

TEST(HfModelTest, ConfigJsonRoundTrips) {
  nlohmann::json j = TinyHfConfigJson();
  j["architectures"] = {"Qwen2ForCausalLM"};
  j["tie_word_embeddings"] = true;
  j["rope_theta"] = 1000000.0;
  const ModelConfig c = ConfigFromJson(j);
  const ModelConfig back = ConfigFromJson(nlohmann::json::parse(HfConfigJson(c, "bfloat16")));
  EXPECT_EQ(back.arch, c.arch);
  EXPECT_EQ(back.dim, c.dim);
  EXPECT_EQ(back.n_kv_heads, c.n_kv_heads);
  EXPECT_EQ(back.tied_embeddings, true);
  EXPECT_EQ(back.qkv_bias, true);
  EXPECT_EQ(back.norm_eps, c.norm_eps);
  EXPECT_EQ(back.rope_theta, 1000000.0f);
}

TEST(HfModelTest, UnknownArchitectureNamed) {
  nlohmann::json j = TinyHfConfigJson();
  j["architectures"] = {"GPT2LMHeadModel"};
  EXPECT_THAT(ConfigError(j), AllOf(HasSubstr("/m/config.json"), HasSubstr("unsupported architecture 'GPT2LMHeadModel'")));
}

TEST(HfModelTest, UnsupportedRopeScalingNamed) {
  nlohmann::json j = TinyHfConfigJson();
  j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  EXPECT_THAT(ConfigError(j), AllOf(HasSubstr("/m/config.json"), HasSubstr("rope_scaling type 'yarn'")));
}

TEST(HfModelTest, MissingRequiredFieldNamed) {
  nlohmann::json j = TinyHfConfigJson();
  j.erase("intermediate_size");
  EXPECT_THAT(ConfigError(j), AllOf(HasSubstr("/m/config.json"), HasSubstr("missing required field 'intermediate_size'")));
}

TEST(HfModelTest, WrongFieldTypeNamed) {
  nlohmann::json j = TinyHfConfigJson();
  j["num_hidden_layers"] = "two";
  EXPECT_THAT(ConfigError(j), AllOf(HasSubstr("'num_hidden_layers' must be an integer"), HasSubstr("\"two\"")));
}

TEST(HfModelTest, MalformedConfigJson) {
  const std::string dir = TempPath("hf");
  OwnedTensors t = MakeHfTensors(ConfigFromJson(TinyHfConfigJson()));
  WriteHfDir(dir, TinyHfConfigJson(), t);
  ::mixq::testing::WriteStringToFile(dir + "/config.json", "{\"hidden_size\": 16,,}");
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(dir + "/config.json"), HasSubstr("malformed JSON")));
}

TEST(HfModelTest, LoadsSyntheticDirAndDropsUnknownTensors) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));
  std::vector<float> inv_freq(2, 1.0f);
  t.tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", DType::kF32, {2}, inv_freq.data(), 8});
  const std::string dir = WriteHfDir(TempPath("hf"), j, t);
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ((*r)->tensors.size(), t.tensors.size() - 1);
  const Tensor* q = (*r)->tensors.Find("blk.1.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{16, 16}));
  const float* want = t.Find("model.layers.1.self_attn.q_proj.weight")->as<float>();
  EXPECT_EQ(q->as<float>()[5], want[5]);
}

TEST(HfModelTest, TiedModelIgnoresStrayLmHead) {
  nlohmann::json j = TinyHfConfigJson();
  j["tie_word_embeddings"] = true;
  OwnedTensors t = MakeHfTensors(ConfigFromJson(TinyHfConfigJson()));  // untied: has lm_head
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(WriteHfDir(TempPath("hf"), j, t));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE((*r)->config.tied_embeddings);
  EXPECT_FALSE((*r)->tensors.Contains("output.weight"));
}

TEST(HfModelTest, WrongShapeNamesTensorAndBothShapes) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));
  t.Reshape("model.layers.1.self_attn.q_proj.weight", {16, 8});
  const std::string dir = WriteHfDir(TempPath("hf"), j, t);
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(dir), HasSubstr("model.layers.1.self_attn.q_proj.weight"),
                                 HasSubstr("[16, 8]"), HasSubstr("needs [16, 16]")));
}

TEST(HfModelTest, MissingTensorNamed) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));
  t.Remove("model.layers.1.mlp.up_proj.weight");
  const std::string dir = WriteHfDir(TempPath("hf"), j, t);
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(dir), HasSubstr("missing tensor 'model.layers.1.mlp.up_proj.weight'"),
                                 HasSubstr("[24, 16]")));
}

TEST(HfModelTest, MissingQwen2BiasNamed) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));  // llama tensors: no biases
  j["architectures"] = {"Qwen2ForCausalLM"};
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(WriteHfDir(TempPath("hf"), j, t));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), HasSubstr("missing tensor 'model.layers.0.self_attn.q_proj.bias'"));
}

// Splits the tensors over two shards and writes the index.
std::string WriteShardedDir(const std::string& dir, const nlohmann::json& config, const OwnedTensors& t,
                            nlohmann::json* weight_map) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ::mixq::testing::WriteStringToFile(dir + "/config.json", config.dump());
  std::vector<Tensor> shard[2];
  for (size_t i = 0; i < t.tensors.size(); ++i) {
    const int s = i < t.tensors.size() / 2 ? 0 : 1;
    shard[s].push_back(t.tensors[i]);
    (*weight_map)[t.tensors[i].name] = fmt::format("model-0000{}-of-00002.safetensors", s + 1);
  }
  for (int s = 0; s < 2; ++s)
    EXPECT_TRUE(WriteSafetensors(fmt::format("{}/model-0000{}-of-00002.safetensors", dir, s + 1), shard[s]).ok());
  return dir;
}

TEST(HfModelTest, LoadsShardedCheckpoint) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));
  nlohmann::json weight_map;
  const std::string dir = WriteShardedDir(TempPath("sharded"), j, t, &weight_map);
  ::mixq::testing::WriteStringToFile(dir + "/model.safetensors.index.json",
                                     nlohmann::json{{"metadata", {}}, {"weight_map", weight_map}}.dump());
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ((*r)->tensors.size(), t.tensors.size());
  const Tensor* down = (*r)->tensors.Find("blk.1.ffn_down.weight");  // in the second shard
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->as<float>()[3], t.Find("model.layers.1.mlp.down_proj.weight")->as<float>()[3]);
}

TEST(HfModelTest, ShardIndexNamingAbsentTensor) {
  nlohmann::json j = TinyHfConfigJson();
  OwnedTensors t = MakeHfTensors(ConfigFromJson(j));
  nlohmann::json weight_map;
  const std::string dir = WriteShardedDir(TempPath("sharded"), j, t, &weight_map);
  weight_map["model.layers.0.mlp.extra.weight"] = "model-00001-of-00002.safetensors";
  ::mixq::testing::WriteStringToFile(dir + "/model.safetensors.index.json", nlohmann::json{{"weight_map", weight_map}}.dump());
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr("'model.layers.0.mlp.extra.weight'"),
                                 HasSubstr("model-00001-of-00002.safetensors")));
}

TEST(HfModelTest, CorruptSafetensorsNamedThroughLoadModelFiles) {
  nlohmann::json j = TinyHfConfigJson();
  const std::string dir = WriteHfDir(TempPath("hf"), j, MakeHfTensors(ConfigFromJson(j)));
  std::string bytes = ::mixq::testing::ReadFileToString(dir + "/model.safetensors");
  bytes.resize(bytes.size() - 4);  // the last tensor loses its last float
  ::mixq::testing::WriteStringToFile(dir + "/model.safetensors", bytes);
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr("[safetensors] " + dir + "/model.safetensors"), HasSubstr("past end of file")));
}

TEST(HfModelTest, RopeScalingWithoutTypeNamed) {
  nlohmann::json j = TinyHfConfigJson();
  j["rope_scaling"] = {{"factor", 2.0}};
  EXPECT_THAT(ConfigError(j), AllOf(HasSubstr("/m/config.json"), HasSubstr("rope_scaling has no 'rope_type'")));
}

TEST(HfModelTest, DirectoryWithoutWeights) {
  const std::string dir = TempPath("noweights");
  std::filesystem::create_directories(dir);
  ::mixq::testing::WriteStringToFile(dir + "/config.json", TinyHfConfigJson().dump());
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(dir), HasSubstr("no model.safetensors")));
}

}  // namespace
}  // namespace mixq
