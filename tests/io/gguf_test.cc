// GGUF reader and GGUF -> ModelConfig: the real wiki-llama-8m GGUF files as llama.cpp writes
// them, a synthetic qwen2 file, and one test per malformed input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "mixq/io/gguf.h"
#include "mixq/io/gguf_model.h"
#include "mixq/io/model_files.h"
#include "support/test_support.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;
using ::mixq::testing::TempPath;
using ::mixq::testing::WriteStringToFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Assembles GGUF bytes field by field, so tests can write valid files and precise lies.
class GgufBytes {
 public:
  uint32_t version = 3;
  std::optional<uint64_t> n_tensors_override, n_kv_override;

  void KvString(const std::string& key, const std::string& v) { Kv(key, 8, Str(v)); }
  void KvU32(const std::string& key, uint32_t v) { Kv(key, 4, Pod(v)); }
  void KvF32(const std::string& key, float v) { Kv(key, 6, Pod(v)); }
  void KvStringArray(const std::string& key, const std::vector<std::string>& items) {
    std::string body = Pod<uint32_t>(8) + Pod<uint64_t>(items.size());
    for (const std::string& s : items) body += Str(s);
    Kv(key, 9, body);
  }
  void Kv(const std::string& key, uint32_t type, const std::string& value_bytes) {
    kv_ += Str(key) + Pod(type) + value_bytes;
    ++n_kv_;
  }
  // ne is innermost first, as GGUF stores it; offset defaults to the next aligned free byte.
  void Tensor(const std::string& name, uint32_t type, std::vector<uint64_t> ne, std::optional<uint64_t> offset = {}) {
    std::string info = Str(name) + Pod<uint32_t>(static_cast<uint32_t>(ne.size()));
    uint64_t numel = 1;
    for (uint64_t d : ne) {
      info += Pod(d);
      numel *= d;
    }
    const DTypeInfo* t = FindDType(type);
    const uint64_t nbytes = t ? numel / t->block_size * t->block_bytes : 0;
    const uint64_t at = offset.value_or(data_size_);
    info += Pod(type) + Pod(at);
    data_size_ = std::max(data_size_, (at + nbytes + 31) / 32 * 32);
    tensors_ += info;
    ++n_tensors_;
  }
  std::string Build() const {
    std::string out = "GGUF" + Pod(version) + Pod(n_tensors_override.value_or(n_tensors_)) +
                      Pod(n_kv_override.value_or(n_kv_)) + kv_ + tensors_;
    out.resize((out.size() + 31) / 32 * 32, '\0');
    for (uint64_t i = 0; i < data_size_; ++i) out.push_back(static_cast<char>(i % 7));
    return out;
  }

  template <typename T>
  static std::string Pod(T v) {
    return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  static std::string Str(const std::string& s) { return Pod<uint64_t>(s.size()) + s; }

 private:
  std::string kv_, tensors_;
  uint64_t n_kv_ = 0, n_tensors_ = 0, data_size_ = 0;
};

// A complete small qwen2 model: dim 8, hidden 16, 1 layer, 2 heads, 1 kv head, vocab 4, tied.
GgufBytes TinyQwen2() {
  GgufBytes g;
  g.KvString("general.architecture", "qwen2");
  g.KvU32("qwen2.context_length", 32);
  g.KvU32("qwen2.embedding_length", 8);
  g.KvU32("qwen2.feed_forward_length", 16);
  g.KvU32("qwen2.block_count", 1);
  g.KvU32("qwen2.attention.head_count", 2);
  g.KvU32("qwen2.attention.head_count_kv", 1);
  g.KvF32("qwen2.rope.freq_base", 1000000.0f);
  g.KvF32("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
  g.KvStringArray("tokenizer.ggml.tokens", {"a", "b", "c", "d"});
  g.KvU32("tokenizer.ggml.bos_token_id", 3);
  g.KvU32("tokenizer.ggml.eos_token_id", 3);
  g.Tensor("token_embd.weight", 0, {8, 4});
  g.Tensor("output_norm.weight", 0, {8});
  g.Tensor("blk.0.attn_norm.weight", 0, {8});
  g.Tensor("blk.0.attn_q.weight", 1, {8, 8});
  g.Tensor("blk.0.attn_q.bias", 0, {8});
  g.Tensor("blk.0.attn_k.weight", 1, {8, 4});
  g.Tensor("blk.0.attn_k.bias", 0, {4});
  g.Tensor("blk.0.attn_v.weight", 1, {8, 4});
  g.Tensor("blk.0.attn_v.bias", 0, {4});
  g.Tensor("blk.0.attn_output.weight", 1, {8, 8});
  g.Tensor("blk.0.ffn_norm.weight", 0, {8});
  g.Tensor("blk.0.ffn_gate.weight", 1, {8, 16});
  g.Tensor("blk.0.ffn_up.weight", 1, {8, 16});
  g.Tensor("blk.0.ffn_down.weight", 1, {16, 8});
  return g;
}

std::string Write(const std::string& bytes) {
  const std::string path = TempPath("model.gguf");
  WriteStringToFile(path, bytes);
  return path;
}

std::string OpenError(const std::string& bytes, std::string* path_out) {
  *path_out = Write(bytes);
  Result<std::shared_ptr<GgufFile>> r = GgufFile::Open(*path_out);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.message();
}

TEST(GgufTest, ReadsWikiLlamaF16) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf");
  const std::string path = SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-F16.gguf");
  Result<std::shared_ptr<GgufFile>> g = GgufFile::Open(path);
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_EQ((*g)->version(), 3u);
  EXPECT_EQ((*g)->alignment(), 32u);
  EXPECT_EQ((*g)->tensor_infos().size(), 75u);
  EXPECT_EQ((*g)->GetString("general.architecture").value(), "llama");
  EXPECT_EQ((*g)->GetInt("llama.block_count").value(), 8);
  EXPECT_NEAR((*g)->GetFloat("llama.attention.layer_norm_rms_epsilon").value(), 1e-5, 1e-9);
  EXPECT_TRUE((*g)->GetBool("tokenizer.ggml.add_bos_token").value());
  Result<std::vector<std::string>> tokens = (*g)->GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.message();
  ASSERT_EQ(tokens->size(), 4096u);
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ((*g)->GetFloatArray("tokenizer.ggml.scores")->size(), 4096u);
  EXPECT_EQ((*g)->GetIntArray("tokenizer.ggml.token_type")->at(1), 3);
  EXPECT_THAT((*g)->GetInt("general.architecture").message(),
              AllOf(HasSubstr(path), HasSubstr("'general.architecture' has type string, expected integer")));
  EXPECT_THAT((*g)->GetString("llama.nothing").message(), HasSubstr("missing key 'llama.nothing'"));

  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(path);
  ASSERT_TRUE(m.ok()) << m.message();
  const ModelConfig& c = (*m)->config;
  EXPECT_EQ((*m)->format, ModelFormat::kGguf);
  EXPECT_NE((*m)->gguf, nullptr);
  EXPECT_EQ(c.arch, Architecture::kLlama);
  EXPECT_EQ(c.dim, 256);
  EXPECT_EQ(c.hidden_dim, 768);
  EXPECT_EQ(c.n_layers, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.vocab_size, 4096);
  EXPECT_EQ(c.max_seq_len, 512);
  EXPECT_EQ(c.rope_layout, RopeLayout::kInterleaved);
  EXPECT_FALSE(c.tied_embeddings);
  const Tensor* embd = (*m)->tensors.Find("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->dtype, DType::kF16);
  EXPECT_EQ(embd->shape, (std::vector<int64_t>{4096, 256}));
  EXPECT_EQ((*m)->tensors.Find("blk.0.ffn_down.weight")->shape, (std::vector<int64_t>{256, 768}));
  EXPECT_EQ((*m)->tensors.Find("output_norm.weight")->dtype, DType::kF32);
}

// Tensor-type histogram of a file: {dtype name: count}.
std::map<std::string, int> TypeCounts(const LoadedModel& m) {
  std::map<std::string, int> counts;
  for (const Tensor& t : m.tensors.all()) ++counts[DTypeName(t.dtype)];
  return counts;
}

TEST(GgufTest, ReadsQuantizedFilesAsViews) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_K_M.gguf");
  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_K_M.gguf"));
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ((*m)->tensors.size(), 75u);
  EXPECT_EQ(TypeCounts(**m), (std::map<std::string, int>{{"f32", 17}, {"q4_K", 49}, {"q6_K", 9}}));
  const Tensor* q = (*m)->tensors.Find("blk.0.attn_q.weight");
  EXPECT_EQ(q->dtype, DType::kQ4_K);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(q->nbytes, 256u * 144u);
  EXPECT_EQ((*m)->tensors.Find("output.weight")->dtype, DType::kQ6_K);

  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf");
  m = LoadModelFiles(SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf"));
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ((*m)->tensors.Find("blk.3.ffn_up.weight")->dtype, DType::kQ4_0);
  EXPECT_EQ((*m)->tensors.Find("blk.3.ffn_up.weight")->nbytes, 768u * 256u / 32u * 18u);
  EXPECT_EQ((*m)->config.dim, 256);
}

TEST(GgufTest, ConfigOnlyFromGguf) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf");
  Result<ModelConfig> c = LoadModelConfig(SharedPath("models/wiki-llama-8m/gguf/wiki-llama-8m-Q4_0.gguf"));
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->n_layers, 8);
  EXPECT_EQ(c->vocab_size, 4096);
}

TEST(GgufTest, SyntheticQwen2) {
  const std::string path = Write(TinyQwen2().Build());
  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(path);
  ASSERT_TRUE(m.ok()) << m.message();
  const ModelConfig& c = (*m)->config;
  EXPECT_EQ(c.arch, Architecture::kQwen2);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_EQ(c.rope_layout, RopeLayout::kHalf);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.vocab_size, 4);  // from tokenizer.ggml.tokens
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_EQ(c.bos_token_id, 3);
  EXPECT_FLOAT_EQ(c.rope_theta, 1e6f);
  EXPECT_EQ((*m)->tensors.Find("blk.0.ffn_down.weight")->shape, (std::vector<int64_t>{8, 16}));
}

TEST(GgufTest, MissingTensorNamed) {
  GgufBytes g = TinyQwen2();
  g.KvU32("qwen2.vocab_size", 4);
  std::string bytes = g.Build();
  // Rename blk.0.attn_k.bias in place (same length) so the check cannot find it.
  bytes.replace(bytes.find("blk.0.attn_k.bias"), 17, "blk.0.attn_k.bi_s");
  const std::string path = Write(bytes);
  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(path);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.message(), AllOf(HasSubstr(path), HasSubstr("missing tensor 'blk.0.attn_k.bias'")));
}

TEST(GgufTest, BadMagic) {
  std::string bytes = TinyQwen2().Build();
  bytes[0] = 'X';
  std::string path;
  EXPECT_THAT(OpenError(bytes, &path), AllOf(HasSubstr(path), HasSubstr("bad magic")));
}

TEST(GgufTest, UnsupportedVersion) {
  GgufBytes g = TinyQwen2();
  g.version = 1;
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr(path), HasSubstr("unsupported version 1")));
}

TEST(GgufTest, AbsurdTensorCount) {
  GgufBytes g = TinyQwen2();
  g.n_tensors_override = uint64_t{1} << 60;
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr(path), HasSubstr("tensor count 1152921504606846976")));
}

TEST(GgufTest, AbsurdKvCount) {
  GgufBytes g = TinyQwen2();
  g.n_kv_override = ~uint64_t{0};
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr(path), HasSubstr("metadata count 18446744073709551615")));
}

TEST(GgufTest, StringLengthPastEndOfFile) {
  GgufBytes g;
  g.Kv("general.name", 8, GgufBytes::Pod<uint64_t>(1000) + "short");
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path),
              AllOf(HasSubstr(path), HasSubstr("key 'general.name'"), HasSubstr("string length 1000")));
}

TEST(GgufTest, UnknownValueType) {
  GgufBytes g;
  g.Kv("general.weird", 99, GgufBytes::Pod<uint32_t>(0));
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path),
              AllOf(HasSubstr(path), HasSubstr("key 'general.weird'"), HasSubstr("unknown value type 99")));
}

TEST(GgufTest, NestedArrayRejected) {
  GgufBytes g;
  g.Kv("general.nested", 9, GgufBytes::Pod<uint32_t>(9) + GgufBytes::Pod<uint64_t>(1));
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr("key 'general.nested'"), HasSubstr("nested arrays")));
}

TEST(GgufTest, ArrayCountPastEndOfFile) {
  GgufBytes g;
  g.Kv("tokenizer.ggml.scores", 9, GgufBytes::Pod<uint32_t>(6) + GgufBytes::Pod<uint64_t>(1u << 30));
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path),
              AllOf(HasSubstr("key 'tokenizer.ggml.scores'"), HasSubstr("array of 1073741824 elements past end")));
}

TEST(GgufTest, UnknownTensorType) {
  GgufBytes g;
  g.Tensor("blk.0.attn_q.weight", 77, {32, 2});
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path),
              AllOf(HasSubstr(path), HasSubstr("tensor 'blk.0.attn_q.weight'"), HasSubstr("unknown ggml tensor type 77")));
}

TEST(GgufTest, TooManyDims) {
  GgufBytes g;
  g.Tensor("t5", 0, {1, 1, 1, 1, 1});
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr("tensor 't5'"), HasSubstr("n_dims 5 > 4")));
}

TEST(GgufTest, RowNotMultipleOfBlock) {
  GgufBytes g;
  g.Tensor("q", 2, {48, 2});  // q4_0 blocks hold 32
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path), AllOf(HasSubstr("tensor 'q'"), HasSubstr("q4_0 block size 32")));
}

TEST(GgufTest, MisalignedOffset) {
  GgufBytes g;
  g.Tensor("a", 0, {4}, 4);
  std::string path;
  EXPECT_THAT(OpenError(g.Build(), &path),
              AllOf(HasSubstr(path), HasSubstr("tensor 'a'"), HasSubstr("offset 4 is not a multiple of the alignment 32")));
}

TEST(GgufTest, OffsetPastEndOfFile) {
  GgufBytes g;
  g.Tensor("a", 0, {4});
  g.Tensor("b", 0, {4}, 4096);
  std::string bytes = g.Build();
  bytes.resize(bytes.size() - 4096);  // drop b's data (and more)
  std::string path;
  EXPECT_THAT(OpenError(bytes, &path), AllOf(HasSubstr(path), HasSubstr("tensor 'b'"), HasSubstr("past end of file")));
}

TEST(GgufTest, TruncatedTensorInfo) {
  std::string bytes = TinyQwen2().Build();
  bytes.resize(bytes.find("blk.0.ffn_up.weight") + 4);
  std::string path;
  EXPECT_THAT(OpenError(bytes, &path), AllOf(HasSubstr(path), HasSubstr("tensor #12")));
}

TEST(GgufTest, UnknownArchitectureNamed) {
  GgufBytes g;
  g.KvString("general.architecture", "gpt2");
  const std::string path = Write(g.Build());
  Result<std::shared_ptr<LoadedModel>> m = LoadModelFiles(path);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.message(), AllOf(HasSubstr(path), HasSubstr("unsupported architecture 'gpt2'")));
}

TEST(GgufTest, MissingKeyNamed) {
  GgufBytes g;
  g.KvString("general.architecture", "llama");
  g.KvU32("llama.context_length", 16);
  const std::string path = Write(g.Build());
  Result<ModelConfig> c = LoadModelConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.message(), AllOf(HasSubstr(path), HasSubstr("missing key 'llama.embedding_length'")));
}

TEST(GgufTest, RopeScalingRejected) {
  GgufBytes g = TinyQwen2();
  g.KvString("qwen2.rope.scaling.type", "yarn");
  Result<std::shared_ptr<GgufFile>> f = GgufFile::Open(Write(g.Build()));
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_THAT(GgufModelConfig(**f).message(), HasSubstr("'qwen2.rope.scaling.type' is 'yarn'"));
}

}  // namespace
}  // namespace mixq
