// llama2.c checkpoints: the real stories260K and BabyLlama files, a synthetic checkpoint with
// an unshared classifier, and malformed headers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "mixq/io/llama2c.h"
#include "mixq/io/model_files.h"
#include "support/test_support.h"

namespace mixq {
namespace {

using ::mixq::testing::ReadFileToString;
using ::mixq::testing::SharedPath;
using ::mixq::testing::TempPath;
using ::mixq::testing::WriteStringToFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Header(std::vector<int32_t> h) {
  std::string out(h.size() * 4, '\0');
  std::memcpy(out.data(), h.data(), out.size());
  return out;
}

// Header + `n_floats` floats with value index (so slices can be identified).
std::string Checkpoint(std::vector<int32_t> header, size_t n_floats) {
  std::string out = Header(std::move(header));
  for (size_t i = 0; i < n_floats; ++i) {
    const float v = static_cast<float>(i);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  return out;
}

TEST(Llama2cTest, LoadsStories260K) {
  MIXQ_REQUIRE_SHARED("models/stories260K/stories260K.bin");
  const std::string path = SharedPath("models/stories260K/stories260K.bin");
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(path);
  ASSERT_TRUE(r.ok()) << r.message();
  const LoadedModel& m = **r;
  EXPECT_EQ(m.format, ModelFormat::kLlama2c);
  const ModelConfig& c = m.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.rope_layout, RopeLayout::kInterleaved);
  EXPECT_EQ(m.tensors.size(), 2u + 5u * 9u);
  EXPECT_FALSE(m.tensors.Contains("output.weight"));

  // Offsets by hand: wk of layer 1 starts after the header, the embedding (512*64), rms_att
  // (5*64), wq (5*64*64) and layer 0's wk (32*64).
  const std::string raw = ReadFileToString(path);
  const Tensor* wk1 = m.tensors.Find("blk.1.attn_k.weight");
  ASSERT_NE(wk1, nullptr);
  EXPECT_EQ(wk1->shape, (std::vector<int64_t>{32, 64}));
  const size_t wk1_float = 512 * 64 + 5 * 64 + 5 * 64 * 64 + 32 * 64;
  EXPECT_EQ(std::memcmp(wk1->data, raw.data() + 28 + 4 * wk1_float, wk1->nbytes), 0);
  // w2 is ffn_down {dim, hidden}; RMSNorm weights of a trained model are O(1), not tiny.
  EXPECT_EQ(m.tensors.Find("blk.4.ffn_down.weight")->shape, (std::vector<int64_t>{64, 172}));
  const Tensor* norm = m.tensors.Find("output_norm.weight");
  float mean_abs = 0;
  for (int i = 0; i < 64; ++i) mean_abs += std::abs(norm->as<float>()[i]) / 64;
  EXPECT_GT(mean_abs, 0.3f);
}

TEST(Llama2cTest, LoadsBabyLlamaModels) {
  const std::pair<const char*, int64_t> files[] = {{"models/babyllama-1m/babyllama105_model5000.bin", 105},
                                                   {"models/babyllama-1m/babyllama361_model5000.bin", 361}};
  for (const auto& [rel, vocab] : files) {
    MIXQ_REQUIRE_SHARED(rel);
    Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(SharedPath(rel));
    ASSERT_TRUE(r.ok()) << r.message();
    const ModelConfig& c = (*r)->config;
    EXPECT_EQ(c.dim, 128);
    EXPECT_EQ(c.hidden_dim, 352);
    EXPECT_EQ(c.n_layers, 5);
    EXPECT_EQ(c.head_dim, 16);
    EXPECT_EQ(c.kv_dim(), 64);
    EXPECT_EQ(c.vocab_size, vocab);
    EXPECT_EQ(c.max_seq_len, 256);
    EXPECT_EQ((*r)->tensors.Find("token_embd.weight")->shape, (std::vector<int64_t>{vocab, 128}));
  }
}

TEST(Llama2cTest, UnsharedClassifierIsLastArray) {
  // dim 4, hidden 6, 1 layer, 2 heads, 1 kv head, vocab -3 (unshared), seq 2.
  const size_t floats = 3 * 4 + 4 + 16 + 2 * 8 + 16 + 4 + 3 * 24 + 4 + 2 * 2 + 3 * 4;
  const std::string path = TempPath("unshared.bin");
  WriteStringToFile(path, Checkpoint({4, 6, 1, 2, 1, -3, 2}, floats));
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(path);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_FALSE((*r)->config.tied_embeddings);
  EXPECT_EQ((*r)->config.vocab_size, 3);
  const Tensor* out = (*r)->tensors.Find("output.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->as<float>()[0], static_cast<float>(floats - 12));
  const Tensor* up = (*r)->tensors.Find("blk.0.ffn_up.weight");  // w3, after w1 and w2
  EXPECT_EQ(up->as<float>()[0], static_cast<float>(3 * 4 + 4 + 16 + 2 * 8 + 16 + 4 + 2 * 24));
}

TEST(Llama2cTest, FileSizeMismatchNamed) {
  const std::string path = TempPath("short.bin");
  // Needs 28 + 4 * (3*4 + 4 + 2*16 + 2*8 + 4 + 3*24 + 4 + 2*2) = 620 bytes.
  WriteStringToFile(path, Checkpoint({4, 6, 1, 2, 1, 3, 2}, 10));
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr("[llama2c]"), HasSubstr(path), HasSubstr("file size 68 does not match"),
                                 HasSubstr("needs 620 bytes")));
}

TEST(Llama2cTest, NonPositiveHeaderFieldNamed) {
  const std::string path = TempPath("zero-heads.bin");
  WriteStringToFile(path, Checkpoint({4, 6, 1, 0, 1, 3, 2}, 100));
  Result<ModelConfig> r = ReadLlama2cConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(path), HasSubstr("'n_heads' is 0")));
}

TEST(Llama2cTest, IndivisibleHeadsNamed) {
  const std::string path = TempPath("odd.bin");
  WriteStringToFile(path, Checkpoint({6, 6, 1, 4, 1, 3, 2}, 100));
  Result<ModelConfig> r = ReadLlama2cConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(path), HasSubstr("dim 6 is not a multiple of n_heads 4")));
}

TEST(Llama2cTest, AbsurdHeaderDoesNotOverflow) {
  const std::string path = TempPath("huge.bin");
  WriteStringToFile(path, Checkpoint({1 << 30, 1 << 30, 1 << 30, 2, 1, -(1 << 30), 1 << 30}, 4));
  Result<ModelConfig> r = ReadLlama2cConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), HasSubstr("more than 2^64"));
}

TEST(Llama2cTest, TooShortForHeader) {
  const std::string path = TempPath("tiny.bin");
  WriteStringToFile(path, "abc");
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(path), HasSubstr("too short for the 28-byte header")));
}

}  // namespace
}  // namespace mixq
