// GGUF writer: round trips through mixq's GgufFile reader (every value type, arrays, tensors of
// plain and quantized types, alignment), and refusals of bad input, none of which may leave a
// file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "mixq/io/gguf.h"
#include "mixq/io/gguf_export.h"
#include "mixq/io/gguf_model.h"
#include "mixq/io/gguf_writer.h"
#include "support/test_support.h"

namespace mixq {
namespace {

using ::mixq::testing::TempPath;
using ::testing::HasSubstr;

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

// TempPath with no file (or temp file) left from an earlier run.
std::string FreshPath(const std::string& name) {
  const std::string path = TempPath(name);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".tmp");
  return path;
}

// Bytes 0, 1, 2, ... (mod 251) for a tensor of `type` and `shape`.
std::vector<uint8_t> PatternBytes(DType type, const std::vector<int64_t>& shape, uint8_t seed) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<uint8_t> bytes(*DTypeBytes(type, n));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>((i + seed) % 251);
  return bytes;
}

std::shared_ptr<GgufFile> OpenOrDie(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.message();
  return f.ok() ? *f : nullptr;
}

TEST(GgufWriter, EveryValueTypeRoundTrips) {
  const std::string path = FreshPath("values.gguf");
  std::vector<GgufKeyValue> kv = {
      {"u8", GgufU8(250)},
      {"i8", GgufI8(-120)},
      {"u16", GgufU16(65000)},
      {"i16", GgufI16(-32000)},
      {"u32", GgufU32(4000000000u)},
      {"i32", GgufI32(-2000000000)},
      {"u64", GgufU64(18000000000000000000ull)},
      {"i64", GgufI64(-9000000000000000000ll)},
      {"f32", GgufF32(1e-5f)},
      {"f64", GgufF64(3.141592653589793)},
      {"bool.true", GgufBool(true)},
      {"bool.false", GgufBool(false)},
      {"string", GgufString("héllo \n world")},
      {"string.empty", GgufString("")},
      {"array.string", GgufStringArray({"<unk>", "", "▁the", "a b"})},
      {"array.i32", GgufI32Array({1, -2, 3, 2147483647})},
      {"array.f32", GgufF32Array({0.5f, -1.25f, 1e30f})},
      {"array.u8", GgufArrayOf(GgufType::kU8, {GgufU8(1), GgufU8(255)})},
      {"array.bool", GgufArrayOf(GgufType::kBool, {GgufBool(true), GgufBool(false)})},
      {"array.u64", GgufArrayOf(GgufType::kU64, {GgufU64(1ull << 63)})},
      {"array.f64", GgufArrayOf(GgufType::kF64, {GgufF64(-0.1)})},
      {"array.empty", GgufArrayOf(GgufType::kI32, {})},
  };
  ASSERT_TRUE(WriteGguf(path, kv, {}).ok());
  auto f = OpenOrDie(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  ASSERT_EQ(f->metadata().size(), kv.size());
  for (size_t i = 0; i < kv.size(); ++i) {
    const GgufKeyValue& got = f->metadata()[i];
    EXPECT_EQ(got.key, kv[i].key);
    EXPECT_EQ(got.value.type, kv[i].value.type) << got.key;
    if (got.value.type == GgufType::kArray) {
      EXPECT_EQ(got.value.array_type, kv[i].value.array_type) << got.key;
    }
  }
  EXPECT_EQ(*f->GetInt("u8"), 250);
  EXPECT_EQ(*f->GetInt("i8"), -120);
  EXPECT_EQ(*f->GetInt("u16"), 65000);
  EXPECT_EQ(*f->GetInt("i16"), -32000);
  EXPECT_EQ(*f->GetInt("u32"), 4000000000ll);
  EXPECT_EQ(*f->GetInt("i32"), -2000000000);
  EXPECT_EQ(std::get<uint64_t>(f->Find("u64")->value), 18000000000000000000ull);
  EXPECT_EQ(*f->GetInt("i64"), -9000000000000000000ll);
  EXPECT_EQ(*f->GetFloat("f32"), static_cast<double>(1e-5f));
  EXPECT_EQ(*f->GetFloat("f64"), 3.141592653589793);
  EXPECT_TRUE(*f->GetBool("bool.true"));
  EXPECT_FALSE(*f->GetBool("bool.false"));
  EXPECT_EQ(*f->GetString("string"), "héllo \n world");
  EXPECT_EQ(*f->GetString("string.empty"), "");
  EXPECT_THAT(*f->GetStringArray("array.string"), ::testing::ElementsAre("<unk>", "", "▁the", "a b"));
  EXPECT_THAT(*f->GetIntArray("array.i32"), ::testing::ElementsAre(1, -2, 3, 2147483647));
  EXPECT_THAT(*f->GetFloatArray("array.f32"), ::testing::ElementsAre(0.5, -1.25, static_cast<double>(1e30f)));
  EXPECT_THAT(*f->GetIntArray("array.u8"), ::testing::ElementsAre(1, 255));
  EXPECT_THAT(*f->GetFloatArray("array.f64"), ::testing::ElementsAre(-0.1));
  EXPECT_TRUE(f->GetIntArray("array.empty")->empty());
  const auto& bools = std::get<GgufArray>(f->Find("array.bool")->value);
  ASSERT_EQ(bools.size(), 2u);
  EXPECT_TRUE(std::get<bool>(bools[0].value));
  EXPECT_FALSE(std::get<bool>(bools[1].value));
  EXPECT_EQ(std::get<uint64_t>(std::get<GgufArray>(f->Find("array.u64")->value)[0].value), 1ull << 63);
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(GgufWriter, TensorsOfPlainAndQuantizedTypesRoundTrip) {
  const std::string path = FreshPath("tensors.gguf");
  struct Case {
    std::string name;
    DType type;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {
      {"f32.vector", DType::kF32, {7}},  // 28 bytes: the next tensor needs padding
      {"f16.matrix", DType::kF16, {3, 5}},
      {"bf16.matrix", DType::kBF16, {2, 9}},
      {"q8_0.weight", DType::kQ8_0, {3, 64}},
      {"q4_0.weight", DType::kQ4_0, {5, 32}},
      {"q6_K.weight", DType::kQ6_K, {2, 256}},
      {"q4_K.weight", DType::kQ4_K, {1, 512}},
      {"f32.4d", DType::kF32, {2, 1, 3, 4}},
  };
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<GgufTensorData> tensors;
  for (size_t i = 0; i < cases.size(); ++i) bytes.push_back(PatternBytes(cases[i].type, cases[i].shape, static_cast<uint8_t>(i)));
  for (size_t i = 0; i < cases.size(); ++i)
    tensors.push_back({{cases[i].name, cases[i].type, cases[i].shape}, bytes[i].data(), bytes[i].size()});
  ASSERT_TRUE(WriteGguf(path, {{"general.architecture", GgufString("test")}}, tensors).ok());

  auto f = OpenOrDie(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->Find("general.alignment"), nullptr);  // the default is not written, as in llama.cpp
  ASSERT_EQ(f->tensor_infos().size(), cases.size());
  TensorSet set;
  f->AddTensorsTo(&set);
  for (size_t i = 0; i < cases.size(); ++i) {
    const GgufTensorInfo& info = f->tensor_infos()[i];
    EXPECT_EQ(info.name, cases[i].name);
    EXPECT_EQ(info.dtype, cases[i].type) << info.name;
    EXPECT_EQ(info.shape, cases[i].shape) << info.name;
    EXPECT_EQ(info.offset % 32, 0u) << info.name;
    const Tensor* t = set.Find(info.name);
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->nbytes, bytes[i].size());
    EXPECT_EQ(std::memcmp(t->data, bytes[i].data(), t->nbytes), 0) << info.name;
  }
  // Independently of the reader: the file ends padded, the data section starts at a multiple
  // of 32, and each tensor's bytes sit at data start + offset.
  const std::string raw = ::mixq::testing::ReadFileToString(path);
  const GgufTensorInfo& last = f->tensor_infos().back();
  const size_t data_bytes = last.offset + (last.nbytes + 31) / 32 * 32;
  ASSERT_GE(raw.size(), data_bytes);
  const size_t data_start = raw.size() - data_bytes;
  EXPECT_EQ(raw.size() % 32, 0u);
  EXPECT_EQ(data_start % 32, 0u);
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(std::memcmp(raw.data() + data_start + f->tensor_infos()[i].offset, bytes[i].data(), bytes[i].size()), 0);
}

TEST(GgufWriter, GeneralAlignmentSetsThePadding) {
  const std::string path = FreshPath("align64.gguf");
  const auto a = PatternBytes(DType::kF32, {3}, 1), b = PatternBytes(DType::kQ8_0, {1, 32}, 2);
  ASSERT_TRUE(WriteGguf(path, {{"general.alignment", GgufU32(64)}},
                        {{{"a", DType::kF32, {3}}, a.data(), a.size()}, {{"b", DType::kQ8_0, {1, 32}}, b.data(), b.size()}})
                  .ok());
  auto f = OpenOrDie(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->tensor_infos()[1].offset, 64u);
  EXPECT_EQ(std::filesystem::file_size(path) % 64, 0u);
  TensorSet set;
  f->AddTensorsTo(&set);
  EXPECT_EQ(std::memcmp(set.Find("b")->data, b.data(), b.size()), 0);

  for (const GgufValue& bad : {GgufU32(48), GgufU32(0), GgufU64(64)}) {
    auto w = GgufWriter::Create(TempPath("badalign.gguf"), {{"general.alignment", bad}}, {});
    ASSERT_FALSE(w.ok());
    EXPECT_THAT(w.message(), HasSubstr("general.alignment"));
  }
}

TEST(GgufWriter, StreamsTensorByTensorThroughATempFile) {
  const std::string path = FreshPath("stream.gguf");
  const auto a = PatternBytes(DType::kF16, {4, 4}, 0);
  auto w = GgufWriter::Create(path, {}, {{"a", DType::kF16, {4, 4}}, {"b", DType::kF16, {4, 4}}});
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_TRUE(Exists(path + ".tmp"));
  EXPECT_FALSE(Exists(path));
  EXPECT_EQ((*w)->next_spec()->name, "a");
  ASSERT_TRUE((*w)->WriteNext(a.data(), a.size()).ok());
  EXPECT_EQ((*w)->next_spec()->name, "b");
  ASSERT_TRUE((*w)->WriteNext(a.data(), a.size()).ok());
  EXPECT_EQ((*w)->next_spec(), nullptr);
  EXPECT_FALSE(Exists(path));
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_TRUE(Exists(path));
  EXPECT_FALSE(Exists(path + ".tmp"));
  EXPECT_EQ(std::filesystem::file_size(path), (*w)->file_size());
}

// Each bad input fails with a message naming the file and the key or tensor, and leaves neither
// the output nor its temp file.
void ExpectRefused(const std::string& path, const Status& status, const std::string& what) {
  ASSERT_FALSE(status.ok()) << what;
  EXPECT_THAT(status.message(), HasSubstr(path)) << what;
  EXPECT_FALSE(Exists(path)) << what;
  EXPECT_FALSE(Exists(path + ".tmp")) << what;
}

TEST(GgufWriter, RefusesBadMetadata) {
  const std::string path = FreshPath("badkv.gguf");
  auto create = [&](std::vector<GgufKeyValue> kv) { return GgufWriter::Create(path, kv, {}).status(); };
  Status dup = create({{"general.name", GgufString("a")}, {"general.name", GgufString("b")}});
  ExpectRefused(path, dup, "duplicate key");
  EXPECT_THAT(dup.message(), HasSubstr("'general.name' appears twice"));
  ExpectRefused(path, create({{"", GgufU32(1)}}), "empty key");
  ExpectRefused(path, create({{"x", GgufValue{GgufType::kString, int64_t{3}}}}), "string holding an int");
  Status range = create({{"x", GgufValue{GgufType::kU8, uint64_t{256}}}});
  ExpectRefused(path, range, "u8 out of range");
  EXPECT_THAT(range.message(), HasSubstr("key 'x'"));
  ExpectRefused(path, create({{"x", GgufValue{GgufType::kI32, int64_t{-3000000000ll}}}}), "i32 out of range");
  ExpectRefused(path, create({{"x", GgufValue{GgufType::kU32, int64_t{-1}}}}), "negative u32");
  Status mixed = create({{"arr", GgufArrayOf(GgufType::kI32, {GgufI32(1), GgufString("no")})}});
  ExpectRefused(path, mixed, "mixed array");
  EXPECT_THAT(mixed.message(), HasSubstr("'arr'[1]"));
  ExpectRefused(path, create({{"arr", GgufArrayOf(GgufType::kArray, {})}}), "nested array");
  ExpectRefused(path, create({{"x", GgufValue{static_cast<GgufType>(42), int64_t{0}}}}), "unknown type");
}

TEST(GgufWriter, RefusesBadTensors) {
  const std::string path = FreshPath("badtensor.gguf");
  auto create = [&](std::vector<GgufTensorSpec> specs) { return GgufWriter::Create(path, {}, std::move(specs)).status(); };
  Status dup = create({{"w", DType::kF32, {2}}, {"w", DType::kF16, {2}}});
  ExpectRefused(path, dup, "duplicate tensor");
  EXPECT_THAT(dup.message(), HasSubstr("tensor 'w' appears twice"));
  Status blocks = create({{"q", DType::kQ4_K, {2, 128}}});
  ExpectRefused(path, blocks, "row not a whole number of blocks");
  EXPECT_THAT(blocks.message(), HasSubstr("tensor 'q'"));
  ExpectRefused(path, create({{std::string(64, 'n'), DType::kF32, {2}}}), "name too long");
  ExpectRefused(path, create({{"", DType::kF32, {2}}}), "empty name");
  ExpectRefused(path, create({{"five", DType::kF32, {1, 1, 1, 1, 1}}}), "five dimensions");
  ExpectRefused(path, create({{"zero", DType::kF32, {0, 4}}}), "zero dimension");
  ExpectRefused(path, create({{"type", static_cast<DType>(99), {4}}}), "unknown type");
}

TEST(GgufWriter, RefusesBytesThatDoNotMatchTheType) {
  const std::string path = FreshPath("badbytes.gguf");
  const auto q = PatternBytes(DType::kQ8_0, {2, 32}, 0);
  {
    auto w = GgufWriter::Create(path, {}, {{"q", DType::kQ8_0, {2, 32}}});
    ASSERT_TRUE(w.ok()) << w.message();
    Status s = (*w)->WriteNext(q.data(), q.size() - 1);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.message(), HasSubstr("tensor 'q': got 67 bytes"));
    EXPECT_THAT(s.message(), HasSubstr("needs 68"));
    ASSERT_TRUE((*w)->WriteNext(q.data(), q.size()).ok());
    Status extra = (*w)->WriteNext(q.data(), q.size());
    EXPECT_THAT(extra.message(), HasSubstr("more tensors written"));
  }  // destroyed without Finish: nothing is left
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(Exists(path + ".tmp"));

  auto w = GgufWriter::Create(path, {}, {{"a", DType::kF32, {1}}, {"b", DType::kF32, {1}}});
  ASSERT_TRUE(w.ok());
  const float x = 1.0f;
  ASSERT_TRUE((*w)->WriteNext(&x, 4).ok());
  ExpectRefused(path, (*w)->Finish(), "finish with a tensor missing");
  EXPECT_THAT((*w)->Finish().message(), HasSubstr("closed"));
}

TEST(GgufWriter, MissingDirectoryNamesTheFile) {
  const std::string path = TempPath("no-such-dir") + "/out.gguf";
  Status s = WriteGguf(path, {}, {});
  ExpectRefused(path, s, "missing directory");
  EXPECT_THAT(s.message(), HasSubstr("cannot create"));
}

// ---- export: model config -> GGUF metadata, and the Q/K row permutation

TEST(GgufExport, RotateHalfPairsLandOnAdjacentRows) {
  // head_dim 8: rotate-half pairs (0,4) (1,5) (2,6) (3,7) become rows (0,1) (2,3) (4,5) (6,7).
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < 16; ++r) rows.push_back(RotateHalfSourceRow(r, 8));
  EXPECT_THAT(rows, ::testing::ElementsAre(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15));
  // A permutation of each head's rows, for any even head_dim.
  for (int64_t hd : {2, 4, 32, 128}) {
    std::vector<int> seen(static_cast<size_t>(3 * hd), 0);
    for (int64_t r = 0; r < 3 * hd; ++r) {
      const int64_t src = RotateHalfSourceRow(r, hd);
      EXPECT_EQ(src / hd, r / hd) << "rows stay in their head";
      ++seen[static_cast<size_t>(src)];
      if (r % 2 == 1) {
        EXPECT_EQ(src, RotateHalfSourceRow(r - 1, hd) + hd / 2) << "pair (i, i + hd/2)";
      }
    }
    for (int n : seen) EXPECT_EQ(n, 1);
  }
}

ModelConfig ExportConfig(Architecture arch) {
  ModelConfig c;
  c.arch = arch;
  c.dim = 64;
  c.hidden_dim = 160;
  c.n_layers = 3;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.vocab_size = 100;
  c.max_seq_len = 256;
  c.norm_eps = 1e-6f;
  c.rope_theta = 500000.0f;
  c.rope_layout = RopeLayout::kHalf;
  c.tied_embeddings = true;
  c.qkv_bias = arch == Architecture::kQwen2;
  c.qk_norm = arch == Architecture::kQwen3;
  return c;
}

// Writes the metadata (no tensors, so the output head reads as tied) and reads the config back.
Result<ModelConfig> ThroughGguf(const ModelConfig& c, const std::string& name) {
  auto kv = GgufModelMetadata(c, "test-model", "test");
  if (!kv.ok()) return kv.status();
  const std::string path = FreshPath(name);
  MIXQ_RETURN_IF_ERROR(WriteGguf(path, *kv, {}));
  MIXQ_ASSIGN_OR_RETURN(auto f, GgufFile::Open(path));
  return GgufModelConfig(*f);
}

TEST(GgufExport, MetadataReadsBackAsTheSameConfig) {
  for (Architecture arch : {Architecture::kLlama, Architecture::kMistral, Architecture::kQwen2, Architecture::kQwen3}) {
    ModelConfig c = ExportConfig(arch);
    if (arch == Architecture::kQwen3) c.head_dim = 32;  // != dim / heads: key_length is written
    auto back = ThroughGguf(c, std::string("meta-") + ArchitectureName(arch) + ".gguf");
    ASSERT_TRUE(back.ok()) << back.message();
    const bool llama = arch == Architecture::kLlama || arch == Architecture::kMistral;
    EXPECT_EQ(back->arch, llama ? Architecture::kLlama : arch);
    EXPECT_EQ(back->rope_layout, llama ? RopeLayout::kInterleaved : RopeLayout::kHalf);  // after the Q/K permutation
    EXPECT_EQ(back->dim, c.dim);
    EXPECT_EQ(back->hidden_dim, c.hidden_dim);
    EXPECT_EQ(back->n_layers, c.n_layers);
    EXPECT_EQ(back->n_heads, c.n_heads);
    EXPECT_EQ(back->n_kv_heads, c.n_kv_heads);
    EXPECT_EQ(back->head_dim, c.head_dim);
    EXPECT_EQ(back->vocab_size, c.vocab_size);
    EXPECT_EQ(back->max_seq_len, c.max_seq_len);
    EXPECT_EQ(back->norm_eps, c.norm_eps);
    EXPECT_EQ(back->rope_theta, c.rope_theta);
    EXPECT_EQ(back->qkv_bias, c.qkv_bias);
    EXPECT_EQ(back->qk_norm, c.qk_norm);
  }
}

TEST(GgufExport, WritesLlamaCppKeys) {
  ModelConfig c = ExportConfig(Architecture::kLlama);
  auto kv = GgufModelMetadata(c, "m", "test");
  ASSERT_TRUE(kv.ok()) << kv.message();
  std::map<std::string, GgufValue> by_key;
  for (const GgufKeyValue& item : *kv) by_key[item.key] = item.value;
  EXPECT_EQ(std::get<std::string>(by_key["general.architecture"].value), "llama");
  EXPECT_EQ(std::get<std::string>(by_key["general.name"].value), "m");
  EXPECT_EQ(std::get<uint64_t>(by_key["llama.rope.dimension_count"].value), 16u);
  EXPECT_EQ(by_key["llama.attention.layer_norm_rms_epsilon"].type, GgufType::kF32);
  EXPECT_EQ(by_key["llama.context_length"].type, GgufType::kU32);
  EXPECT_FALSE(by_key.count("llama.attention.key_length")) << "head_dim == dim / heads";
  EXPECT_TRUE(GgufExportArch(c, "t")->permute_qk);
  c.rope_layout = RopeLayout::kInterleaved;  // llama2.c: already llama.cpp's layout
  EXPECT_FALSE(GgufExportArch(c, "t")->permute_qk);
  EXPECT_FALSE(GgufExportArch(ExportConfig(Architecture::kQwen2), "t")->permute_qk);
}

TEST(GgufExport, RefusesWhatGgufCannotSay) {
  ModelConfig scaled = ExportConfig(Architecture::kLlama);
  scaled.rope_scaling.enabled = true;
  auto a = GgufExportArch(scaled, "/m/llama3");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.message(), HasSubstr("/m/llama3"));
  EXPECT_THAT(a.message(), HasSubstr("rope"));
  ModelConfig qwen = ExportConfig(Architecture::kQwen2);
  qwen.rope_layout = RopeLayout::kInterleaved;
  EXPECT_FALSE(GgufExportArch(qwen, "q").ok());
  ModelConfig bad = ExportConfig(Architecture::kLlama);
  bad.n_heads = 3;  // does not divide into the kv heads
  EXPECT_FALSE(GgufModelMetadata(bad, "m", "bad").ok());
}

TEST(GgufExport, FileTypesAreLlamaCppsGuesses) {
  EXPECT_EQ(LlamaFileType(DType::kF32), 0u);
  EXPECT_EQ(LlamaFileType(DType::kF16), 1u);
  EXPECT_EQ(LlamaFileType(DType::kQ4_0), 2u);
  EXPECT_EQ(LlamaFileType(DType::kQ8_0), 7u);
  EXPECT_EQ(LlamaFileType(DType::kQ4_K), 15u);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
  EXPECT_EQ(LlamaFileType(DType::kQ6_K), 18u);
  EXPECT_EQ(LlamaFileType(DType::kBF16), 32u);
  EXPECT_EQ(LlamaFileType(DType::kQ8_K), std::nullopt);
}

TEST(GgufExport, CarriedMetadataDropsWhatTheWriterDecides) {
  const std::string path = FreshPath("carried.gguf");
  ASSERT_TRUE(WriteGguf(path,
                        {{"general.architecture", GgufString("llama")}, {"general.alignment", GgufU32(64)},
                         {"general.file_type", GgufU32(1)}, {"general.quantization_version", GgufU32(2)},
                         {"tokenizer.ggml.model", GgufString("llama")}},
                        {})
                  .ok());
  auto f = OpenOrDie(path);
  ASSERT_TRUE(f);
  std::vector<std::string> keys;
  for (const GgufKeyValue& kv : GgufCarriedMetadata(*f)) keys.push_back(kv.key);
  EXPECT_THAT(keys, ::testing::ElementsAre("general.architecture", "tokenizer.ggml.model"));
}

}  // namespace
}  // namespace mixq
