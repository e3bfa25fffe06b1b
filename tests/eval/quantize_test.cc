// mixq quantize and the GGUF export: exports that reproduce the source model's logits and
// tokens (Hugging Face llama with the Q/K permutation, llama2.c, byte-level BPE qwen models),
// quantized files whose every tensor has the planned type and the codec's exact bytes, their
// perplexity against the original's, and refusals that leave no output behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mixq/eval/calibration.h"
#include "mixq/eval/perplexity.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/eval/quantize.h"
#include "mixq/io/gguf_export.h"
#include "mixq/io/model_files.h"
#include "mixq/io/synth_model.h"
#include "mixq/kernels/matmul.h"
#include "mixq/model/model.h"
#include "mixq/quant/codec.h"
#include "mixq/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::SharedPath;
using ::testing::HasSubstr;

constexpr char kWiki[] = "models/wiki-llama-8m";
constexpr char kStories[] = "models/stories260K/stories260K.bin";
constexpr char kWikiText[] = "data/text/wikitext2-test.raw";
constexpr char kTinyText[] = "data/text/calib-tiny.txt";

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

// A TempPath with nothing left from an earlier run.
std::string Fresh(const std::string& name) {
  const std::string path = ::mixq::testing::TempPath(name);
  std::filesystem::remove_all(path);
  std::filesystem::remove(path + ".tmp");
  return path;
}

std::shared_ptr<LoadedModel> LoadOrDie(const std::string& path) {
  auto m = LoadModelFiles(path);
  EXPECT_TRUE(m.ok()) << m.message();
  return m.ok() ? *m : nullptr;
}

Result<QuantizeSummary> Quantize(const LoadedModel& model, DType type, const std::string& out,
                                 QuantizeOptions options = {}) {
  options.type = type;
  return QuantizeModel(Context::Default(), model, out, options);
}

// Logits {tokens, vocab} of a whole sequence decoded at once.
std::vector<float> Logits(const std::string& model_path, const std::vector<int32_t>& tokens) {
  auto model = Model::Load(model_path);
  EXPECT_TRUE(model.ok()) << model.message();
  if (!model.ok()) return {};
  InferenceSession session(*model, static_cast<int64_t>(tokens.size()));
  Status s = session.Decode(Context::Default(), tokens, /*all_logits=*/true);
  EXPECT_TRUE(s.ok()) << s.message();
  const int64_t vocab = (*model)->config().vocab_size;
  std::vector<float> out;
  for (int64_t i = 0; i < session.n_logits(); ++i) out.insert(out.end(), session.logits(i), session.logits(i) + vocab);
  return out;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

const char kSample[] =
    "Once upon a time, there was a little girl named Lily. She liked to play outside in the sun.\n"
    "The 2 cats ate 37 fish; \"why?\" asked Tom -- nobody knew.  Ünïcode: naïve café, 日本.";

std::vector<int32_t> Encode(const LoadedModel& model, const std::string& text) {
  auto tok = LoadTokenizer(model);
  EXPECT_TRUE(tok.ok()) << tok.message();
  if (!tok.ok()) return {};
  auto ids = (*tok)->Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.message();
  return ids.ok() ? *ids : std::vector<int32_t>();
}

// The exported tokenizer encodes like the source: a sample, and the first 20 KB of wikitext.
void ExpectSameTokenizer(const LoadedModel& source, const LoadedModel& exported) {
  std::string text = kSample;
  if (::mixq::testing::SharedExists(kWikiText))
    text += CrlfToLf(::mixq::testing::ReadFileToString(SharedPath(kWikiText))).substr(0, 20000);
  const std::vector<int32_t> want = Encode(source, text);
  EXPECT_GT(want.size(), 100u);
  EXPECT_EQ(Encode(exported, text), want);
  auto a = LoadTokenizer(source), b = LoadTokenizer(exported);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->bos_id(), (*a)->bos_id());
  EXPECT_EQ((*b)->eos_id(), (*a)->eos_id());
  EXPECT_EQ((*b)->add_bos(), (*a)->add_bos());
  EXPECT_EQ((*b)->Decode(want), (*a)->Decode(want));
}

// BOS + the sample, as the model sees a text.
std::vector<int32_t> SampleTokens(const LoadedModel& model) {
  std::vector<int32_t> ids = {model.config.bos_token_id};
  for (int32_t id : Encode(model, kSample)) ids.push_back(id);
  return ids;
}

// ---- export (f16/f32 GGUF) ----

TEST(GgufExportModel, HfLlamaF16GivesTheSafetensorsLogits) {
  MIXQ_REQUIRE_SHARED(kWiki);
  auto src = LoadOrDie(SharedPath(kWiki));
  ASSERT_TRUE(src);
  const std::string out = Fresh("wiki-f16.gguf");
  auto s = Quantize(*src, DType::kF16, out);
  ASSERT_TRUE(s.ok()) << s.message();
  auto exported = LoadOrDie(out);
  ASSERT_TRUE(exported);
  EXPECT_EQ(exported->config.rope_layout, RopeLayout::kInterleaved);  // llama arch: Q/K rows were permuted
  EXPECT_EQ(exported->tensors.Find("blk.0.attn_q.weight")->dtype, DType::kF16);
  EXPECT_EQ(exported->tensors.Find("blk.0.attn_norm.weight")->dtype, DType::kF32);
  ExpectSameTokenizer(*src, *exported);
  const auto tokens = SampleTokens(*src);
  const float diff = MaxAbsDiff(Logits(out, tokens), Logits(SharedPath(kWiki), tokens));
  EXPECT_LT(diff, 1e-2f) << "BF16 -> F16 is exact in range; only tiny values round";
  std::printf("wiki-llama-8m F16 export vs safetensors: max |logit diff| %.3g over %zu tokens\n", diff, tokens.size());
}

TEST(GgufExportModel, Llama2cF32IsExact) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  const std::string out = Fresh("stories-f32.gguf");
  auto s = Quantize(*src, DType::kF32, out);
  ASSERT_TRUE(s.ok()) << s.message();
  for (const auto& t : s->tensors) EXPECT_FALSE(t.plan.permute_qk) << "llama2.c is already interleaved";
  auto exported = LoadOrDie(out);
  ASSERT_TRUE(exported);
  EXPECT_TRUE(exported->config.tied_embeddings);
  for (const Tensor& t : src->tensors.all()) {
    const Tensor* e = exported->tensors.Find(t.name);
    ASSERT_NE(e, nullptr) << t.name;
    ASSERT_EQ(e->nbytes, t.nbytes) << t.name;
    EXPECT_EQ(std::memcmp(e->data, t.data, t.nbytes), 0) << t.name;
  }
  ExpectSameTokenizer(*src, *exported);
  const auto tokens = SampleTokens(*src);
  EXPECT_EQ(Logits(out, tokens), Logits(SharedPath(kStories), tokens));
}

// Small synthetic Hugging Face models with a byte-level BPE tokenizer.json.
ModelConfig SynthConfig(Architecture arch) {
  ModelConfig c = *SynthShape("tiny");
  c.arch = arch;
  c.qkv_bias = arch == Architecture::kQwen2;
  c.qk_norm = arch == Architecture::kQwen3;
  if (arch == Architecture::kQwen3) c.head_dim = 32;  // explicit, != dim / heads
  return c;
}

TEST(GgufExportModel, ByteLevelBpeModelsRoundTrip) {
  for (Architecture arch : {Architecture::kLlama, Architecture::kQwen2, Architecture::kQwen3}) {
    SCOPED_TRACE(ArchitectureName(arch));
    const std::string dir = Fresh(std::string("synth-") + ArchitectureName(arch));
    SynthOptions so;
    so.dtype = DType::kF32;
    ASSERT_TRUE(WriteSynthModel(dir, SynthConfig(arch), so).ok());
    auto src = LoadOrDie(dir);
    ASSERT_TRUE(src);
    const std::string out = Fresh(std::string("synth-") + ArchitectureName(arch) + ".gguf");
    auto s = Quantize(*src, DType::kF32, out);
    ASSERT_TRUE(s.ok()) << s.message();
    auto exported = LoadOrDie(out);
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->config.qkv_bias, src->config.qkv_bias);
    EXPECT_EQ(exported->config.qk_norm, src->config.qk_norm);
    EXPECT_EQ(exported->config.head_dim, src->config.head_dim);
    EXPECT_EQ(std::get<std::string>(exported->gguf->Find("tokenizer.ggml.model")->value), "gpt2");
    ExpectSameTokenizer(*src, *exported);
    const auto tokens = SampleTokens(*src);
    const auto a = Logits(out, tokens), b = Logits(dir, tokens);
    if (arch == Architecture::kLlama) {
      EXPECT_LT(MaxAbsDiff(a, b), 1e-5f) << "permuted Q/K: the same sums in another order";
    } else {
      EXPECT_EQ(a, b) << "rotate-half kept: the same computation";
    }
  }
}

// A byte-level BPE tokenizer.json whose merges tell the GGUF pre-tokenizers apart: digit runs
// ("1234"), an upper-case contraction ("'M", one piece only where contractions match
// case-insensitively) and "he" (inside every word, unless the pre-tokenizer cuts characters).
void RewriteTokenizer(const std::string& dir, const nlohmann::ordered_json& pre_tokenizer) {
  const std::string path = dir + "/tokenizer.json";
  auto j = nlohmann::ordered_json::parse(::mixq::testing::ReadFileToString(path));
  const std::vector<std::pair<std::string, std::string>> merges = {{"1", "2"}, {"12", "3"}, {"123", "4"}, {"'", "M"}, {"h", "e"}};
  nlohmann::ordered_json vocab;
  size_t next = 0;
  for (auto& [piece, id] : j["model"]["vocab"].items()) {
    std::string name = piece;
    if (name.starts_with("<extra_") && next < merges.size()) {
      name = merges[next].first + merges[next].second;
      ++next;
    }
    vocab[name] = id;
  }
  j["model"]["vocab"] = vocab;
  j["model"]["merges"] = nlohmann::ordered_json::array();
  for (const auto& [a, b] : merges) j["model"]["merges"].push_back(a + " " + b);
  j["pre_tokenizer"] = pre_tokenizer;
  ::mixq::testing::WriteStringToFile(path, j.dump(1));
}

TEST(GgufExportModel, PreTokenizerIsMatchedByBehaviour) {
  using Json = nlohmann::ordered_json;
  const Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  Json byte_level_regex = byte_level;
  byte_level_regex["use_regex"] = true;
  auto split = [&](const char* regex) {
    return Json{{"type", "Sequence"},
                {"pretokenizers",
                 {{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
                  byte_level}}};
  };
  const char* llama3 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const char* qwen2 =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const Json smollm = {{"type", "Sequence"},
                       {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byte_level_regex}}};
  const std::vector<std::pair<Json, std::string>> cases = {
      {byte_level_regex, "gpt-2"}, {split(llama3), "llama-bpe"}, {split(qwen2), "qwen2"}, {smollm, "smollm"}};
  for (const auto& [pre, want] : cases) {
    SCOPED_TRACE(want);
    const std::string dir = Fresh("pre-" + want);
    ASSERT_TRUE(WriteSynthModel(dir, SynthConfig(Architecture::kQwen2), {}).ok());
    RewriteTokenizer(dir, pre);
    auto src = LoadOrDie(dir);
    ASSERT_TRUE(src);
    const std::string out = Fresh("pre-" + want + ".gguf");
    auto s = Quantize(*src, DType::kF16, out);
    ASSERT_TRUE(s.ok()) << s.message();
    auto exported = LoadOrDie(out);
    ASSERT_TRUE(exported);
    EXPECT_EQ(*exported->gguf->GetString("tokenizer.ggml.pre"), want);
    EXPECT_EQ(exported->gguf->GetStringArray("tokenizer.ggml.merges")->at(3), "' M");
    ExpectSameTokenizer(*src, *exported);
  }
  // Cutting every character apart matches no GGUF pre-tokenizer: refused, nothing written.
  const std::string dir = Fresh("pre-chars");
  ASSERT_TRUE(WriteSynthModel(dir, SynthConfig(Architecture::kQwen2), {}).ok());
  RewriteTokenizer(dir, split("."));
  auto src = LoadOrDie(dir);
  ASSERT_TRUE(src);
  const std::string out = Fresh("pre-chars.gguf");
  auto s = Quantize(*src, DType::kF16, out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("matches none of the GGUF pre-tokenizers"));
  EXPECT_FALSE(Exists(out));
}

// ---- quantized files ----

// Relative RMS error of a dequantized tensor against its source rows.
double RelativeRms(const std::vector<float>& x, const std::vector<float>& y) {
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += (x[i] - y[i]) * (x[i] - y[i]);
    den += x[i] * x[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

// Every tensor of the written file has the planned type; quantized ones hold exactly the
// codec's bytes for the (permuted) source rows, and dequantize within `max_rel_rms` of them.
void ExpectCodecBytes(const LoadedModel& src, const LoadedModel& q, const QuantizeSummary& s,
                      const std::map<DType, double>& max_rel_rms) {
  ASSERT_EQ(q.tensors.size(), s.tensors.size());
  for (const TensorQuantResult& r : s.tensors) {
    const Tensor* t = q.tensors.Find(r.plan.name);
    ASSERT_NE(t, nullptr) << r.plan.name;
    EXPECT_EQ(t->dtype, r.plan.type) << r.plan.name;
    EXPECT_EQ(t->shape, r.plan.shape) << r.plan.name;
    const QuantCodec* codec = FindQuantCodec(t->dtype);
    if (codec == nullptr) continue;
    const Tensor& orig = *src.tensors.Find(r.plan.name);
    const WeightMatrix w = WeightMatrix::FromTensor(orig), wq = WeightMatrix::FromTensor(*t);
    std::vector<float> x(w.cols), xs, ys;
    std::vector<uint8_t> want(wq.row_bytes);
    for (int64_t row = 0; row < w.rows; ++row) {
      DequantizeRow(w, r.plan.permute_qk ? RotateHalfSourceRow(row, src.config.head_dim) : row, x.data());
      codec->quantize_row(x.data(), want.data(), w.cols, nullptr);
      ASSERT_EQ(std::memcmp(want.data(), static_cast<const uint8_t*>(t->data) + row * wq.row_bytes, wq.row_bytes), 0)
          << r.plan.name << " row " << row;
      std::vector<float> y(w.cols);
      DequantizeRow(wq, row, y.data());
      xs.insert(xs.end(), x.begin(), x.end());
      ys.insert(ys.end(), y.begin(), y.end());
    }
    const double rel = RelativeRms(xs, ys);
    ASSERT_TRUE(max_rel_rms.count(t->dtype)) << DTypeName(t->dtype);
    EXPECT_LT(rel, max_rel_rms.at(t->dtype)) << r.plan.name << " " << DTypeName(t->dtype);
  }
}

// Perplexity of the first chunks of a text (CRLF -> LF), as llama.cpp computes it.
double Perplexity(const std::string& model_path, const std::string& text_rel, int64_t n_ctx, int64_t chunks) {
  auto model = Model::Load(model_path);
  EXPECT_TRUE(model.ok()) << model.message();
  if (!model.ok()) return 0;
  auto tok = LoadTokenizer((*model)->files());
  auto text = ReadTextFile(SharedPath(text_rel), /*crlf_to_lf=*/true);
  EXPECT_TRUE(tok.ok() && text.ok());
  auto tokens = TokenizeForPerplexity(**tok, *text);
  EXPECT_TRUE(tokens.ok());
  PerplexityOptions o;
  o.n_ctx = n_ctx;
  o.n_batch = n_ctx;
  o.max_chunks = chunks;
  auto r = RunPerplexity(Context::Default(), *model, *tokens, (*tok)->add_bos() ? (*tok)->bos_id() : -1, o);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? r->ppl.ppl : 0;
}

const std::map<DType, double> kMaxRelRms = {{DType::kQ8_0, 0.01}, {DType::kQ6_K, 0.04}, {DType::kQ4_K, 0.12},
                                            {DType::kQ4_0, 0.15}, {DType::kQ5_0, 0.08}};

struct QuantCase {
  DType type;
  double max_ppl_change;  // relative
  std::map<std::string, DType> expect;  // tensor -> type
};

void CheckQuantizedModel(const std::string& model_rel, const std::string& text_rel, int64_t n_ctx, const QuantCase& c) {
  SCOPED_TRACE(DTypeName(c.type));
  ASSERT_NE(FindQuantCodec(c.type), nullptr) << "no codec registered for " << DTypeName(c.type);
  auto src = LoadOrDie(SharedPath(model_rel));
  ASSERT_TRUE(src);
  const std::string out = Fresh(std::string("q-") + DTypeName(c.type) + ".gguf");
  auto s = Quantize(*src, c.type, out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(s->file_bytes, std::filesystem::file_size(out));
  auto q = LoadOrDie(out);
  ASSERT_TRUE(q);
  for (const auto& [name, type] : c.expect) {
    ASSERT_NE(q->tensors.Find(name), nullptr) << name;
    EXPECT_EQ(q->tensors.Find(name)->dtype, type) << name << " is " << DTypeName(q->tensors.Find(name)->dtype);
  }
  ExpectCodecBytes(*src, *q, *s, kMaxRelRms);
  const double base = Perplexity(SharedPath(model_rel), text_rel, n_ctx, 10);
  const double ppl = Perplexity(out, text_rel, n_ctx, 10);
  std::printf("%s %s: PPL %.4f vs %.4f (%+.3f%%), %.3f bpw\n", model_rel.c_str(), DTypeName(c.type), ppl, base,
              100.0 * (ppl / base - 1.0), s->bits_per_weight());
  EXPECT_NEAR(ppl / base, 1.0, c.max_ppl_change);
}

TEST(QuantizeModel, WikiLlamaQ8_0) {
  MIXQ_REQUIRE_SHARED(kWiki);
  MIXQ_REQUIRE_SHARED(kWikiText);
  CheckQuantizedModel(kWiki, kWikiText, 256,
                      {DType::kQ8_0, 0.01,
                       {{"token_embd.weight", DType::kQ8_0}, {"output.weight", DType::kQ8_0},
                        {"blk.3.attn_q.weight", DType::kQ8_0}, {"blk.7.ffn_down.weight", DType::kQ8_0},
                        {"blk.0.attn_norm.weight", DType::kF32}, {"output_norm.weight", DType::kF32}}});
}

TEST(QuantizeModel, WikiLlamaQ4_0) {
  MIXQ_REQUIRE_SHARED(kWiki);
  MIXQ_REQUIRE_SHARED(kWikiText);
  CheckQuantizedModel(kWiki, kWikiText, 256,
                      {DType::kQ4_0, 0.05,
                       {{"token_embd.weight", DType::kQ4_0}, {"output.weight", DType::kQ6_K},
                        {"blk.0.attn_k.weight", DType::kQ4_0}, {"blk.5.ffn_up.weight", DType::kQ4_0}}});
}

TEST(QuantizeModel, WikiLlamaQ4_K) {
  MIXQ_REQUIRE_SHARED(kWiki);
  MIXQ_REQUIRE_SHARED(kWikiText);
  CheckQuantizedModel(kWiki, kWikiText, 256,
                      {DType::kQ4_K, 0.05,
                       {{"token_embd.weight", DType::kQ4_K}, {"output.weight", DType::kQ6_K},
                        {"blk.2.attn_v.weight", DType::kQ4_K}, {"blk.2.ffn_down.weight", DType::kQ4_K}}});
}

// stories260K: rows of 64 (dim) and 172 (ffn_down): 172 fits no block, so ffn_down falls back
// to f16; the tied embedding is the output head (q6_K for q4_0, which needs rows of 256: q8_0).
TEST(QuantizeModel, Stories260KQ8_0) {
  MIXQ_REQUIRE_SHARED(kStories);
  MIXQ_REQUIRE_SHARED(kTinyText);
  CheckQuantizedModel(kStories, kTinyText, 128,
                      {DType::kQ8_0, 0.01,
                       {{"token_embd.weight", DType::kQ8_0}, {"blk.0.attn_q.weight", DType::kQ8_0},
                        {"blk.0.ffn_gate.weight", DType::kQ8_0}, {"blk.0.ffn_down.weight", DType::kF16}}});
}

TEST(QuantizeModel, Stories260KQ4_0) {
  MIXQ_REQUIRE_SHARED(kStories);
  MIXQ_REQUIRE_SHARED(kTinyText);
  CheckQuantizedModel(kStories, kTinyText, 128,
                      {DType::kQ4_0, 0.1,
                       {{"token_embd.weight", DType::kQ8_0}, {"blk.1.attn_v.weight", DType::kQ4_0},
                        {"blk.4.ffn_down.weight", DType::kF16}}});
}

// tensor -> (requested type, written type)
std::map<std::string, std::pair<DType, DType>> PlannedTypes(const LoadedModel& model, const QuantizeOptions& o) {
  std::map<std::string, std::pair<DType, DType>> by_name;
  auto plan = PlanQuantization(model, o);
  EXPECT_TRUE(plan.ok()) << plan.message();
  if (plan.ok())
    for (const TensorQuantPlan& p : *plan) by_name[p.name] = {p.requested, p.type};
  return by_name;
}

TEST(QuantizeModel, FallbacksAreReported) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  QuantizeOptions o;
  o.type = DType::kQ4_K;  // rows of 64 and 172: nothing fits a 256 block
  auto by_name = PlannedTypes(*src, o);
  EXPECT_EQ(by_name["blk.0.attn_q.weight"], std::make_pair(DType::kQ4_K, DType::kQ5_0));  // llama.cpp's table
  EXPECT_EQ(by_name["blk.0.ffn_down.weight"], std::make_pair(DType::kQ4_K, DType::kF16));  // then f16
  EXPECT_EQ(by_name["token_embd.weight"], std::make_pair(DType::kQ8_0, DType::kQ8_0));    // output rule, rows % 256
  o.type = DType::kQ6_K;
  EXPECT_EQ(PlannedTypes(*src, o)["blk.0.attn_q.weight"], std::make_pair(DType::kQ6_K, DType::kQ8_0));
  o.type = DType::kQ3_K;
  EXPECT_EQ(PlannedTypes(*src, o)["blk.0.attn_q.weight"], std::make_pair(DType::kQ3_K, DType::kIQ4_NL));
  o.type = DType::kQ5_K;
  EXPECT_EQ(PlannedTypes(*src, o)["blk.0.attn_q.weight"], std::make_pair(DType::kQ5_K, DType::kQ5_1));

  const std::string out = Fresh("fallbacks.gguf");
  o.type = DType::kQ4_K;
  auto s = QuantizeModel(Context::Default(), *src, out, o);
  ASSERT_TRUE(s.ok()) << s.message();
  int fallback_notes = 0;
  for (const std::string& n : s->notes) fallback_notes += n.find("not a multiple") != std::string::npos;
  EXPECT_EQ(fallback_notes, 5 * 7);  // every linear layer of the 5 blocks
  EXPECT_THAT(s->notes[0], HasSubstr("using"));
}

TEST(QuantizeModel, OverridesAndPure) {
  MIXQ_REQUIRE_SHARED(kWiki);
  auto src = LoadOrDie(SharedPath(kWiki));
  ASSERT_TRUE(src);
  auto types = [&](const QuantizeOptions& o) {
    std::map<std::string, DType> by_name;
    for (const auto& [name, types] : PlannedTypes(*src, o)) by_name[name] = types.second;
    return by_name;
  };
  QuantizeOptions o;
  o.type = DType::kQ4_0;
  o.pure = true;
  EXPECT_EQ(types(o)["output.weight"], DType::kQ4_0);
  EXPECT_EQ(types(o)["token_embd.weight"], DType::kQ4_0);
  o.pure = false;
  o.token_embedding_type = DType::kQ8_0;
  o.output_tensor_type = DType::kF16;
  EXPECT_EQ(types(o)["token_embd.weight"], DType::kQ8_0);
  EXPECT_EQ(types(o)["output.weight"], DType::kF16);
  EXPECT_EQ(types(o)["blk.0.attn_q.weight"], DType::kQ4_0);
  o = {};
  o.type = DType::kBF16;
  EXPECT_EQ(types(o)["output.weight"], DType::kBF16) << "unquantized TYPE: no q6_K head";
  EXPECT_EQ(types(o)["blk.0.ffn_norm.weight"], DType::kF32);
}

TEST(QuantizeModel, TypeNames) {
  EXPECT_EQ(ParseQuantizeType("q4_0")->type, DType::kQ4_0);
  EXPECT_EQ(ParseQuantizeType("Q8_0")->type, DType::kQ8_0);
  EXPECT_EQ(ParseQuantizeType("F16")->type, DType::kF16);
  auto mix = ParseQuantizeType("Q4_K_M");
  ASSERT_TRUE(mix.ok()) << mix.message();
  EXPECT_EQ(mix->type, DType::kQ4_K);
  EXPECT_EQ(mix->alias, "Q4_K_M");
  EXPECT_EQ(ParseQuantizeType("q3_k_s")->type, DType::kQ3_K);
  auto unknown = ParseQuantizeType("q9_9");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.message(), HasSubstr("unknown type 'q9_9'"));
  auto activation = ParseQuantizeType("q8_K");
  ASSERT_FALSE(activation.ok());
  EXPECT_THAT(activation.message(), HasSubstr("q8_K"));
}

TEST(QuantizeModel, ImportanceIsUsedAndChecked) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  // A hand-made importance: channel c of every attn_q weighs 1 + c (64 input channels).
  ImportanceMap importance;
  std::vector<float> ramp(64);
  for (int c = 0; c < 64; ++c) ramp[c] = 1.0f + static_cast<float>(c);
  for (int l = 0; l < 5; ++l) importance[LayerTensorName(l, "attn_q.weight")] = ramp;
  QuantizeOptions o;
  o.importance = &importance;
  const std::string out = Fresh("imatrix.gguf");
  auto s = Quantize(*src, DType::kQ4_0, out, o);
  ASSERT_TRUE(s.ok()) << s.message();
  for (const auto& t : s->tensors) EXPECT_EQ(t.used_importance, t.plan.name.ends_with("attn_q.weight")) << t.plan.name;
  bool missing_noted = false;
  for (const std::string& n : s->notes) missing_noted = missing_noted || n.find("blk.0.attn_k.weight: no importance") == 0;
  EXPECT_TRUE(missing_noted);
  // The importance-weighted rows are the codec's weighted quantization of the source rows.
  auto q = LoadOrDie(out);
  ASSERT_TRUE(q);
  const QuantCodec* codec = FindQuantCodec(DType::kQ4_0);
  const WeightMatrix w = WeightMatrix::FromTensor(*src->tensors.Find("blk.2.attn_q.weight"));
  const WeightMatrix wq = WeightMatrix::FromTensor(*q->tensors.Find("blk.2.attn_q.weight"));
  std::vector<float> x(64);
  std::vector<uint8_t> want(wq.row_bytes);
  DequantizeRow(w, 5, x.data());
  codec->quantize_row(x.data(), want.data(), 64, ramp.data());
  EXPECT_EQ(std::memcmp(want.data(), static_cast<const uint8_t*>(wq.data) + 5 * wq.row_bytes, wq.row_bytes), 0);

  importance["blk.1.attn_q.weight"].resize(10);
  auto bad = Quantize(*src, DType::kQ4_0, Fresh("imatrix-bad.gguf"), o);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.message(), HasSubstr("'blk.1.attn_q.weight': importance data has 10 values for rows of 64"));
}

// A stats file as docs/calibration.md specifies it, written by hand: blk.0.attn_q.weight saw 10
// tokens with sum_sq[c] = 10 (1 + c), so its importance is the ramp 1 + c; blk.1.attn_q.weight
// saw none and is quantized without importance.
std::string HandWrittenStats() {
  nlohmann::json ramp = nlohmann::json::array(), zeros = nlohmann::json::array();
  for (int c = 0; c < 64; ++c) {
    ramp.push_back(10.0 * (1 + c));
    zeros.push_back(0.0);
  }
  const nlohmann::json stats = {
      {"format", "mixq-activation-stats"},
      {"schema_version", 1},
      {"statistic", "sum over tokens of x[c]^2 per input channel c (diagonal of X^T X), f64"},
      {"provenance",
       {{"model", "stories260K.bin"}, {"text", "hand-written"}, {"text_bytes", 0}, {"text_fnv1a64", "cbf29ce484222325"},
        {"n_ctx", 10}, {"n_chunks", 1}, {"n_tokens", 10}, {"bos_id", 1}, {"created_by", "quantize_test"}}},
      {"tensors",
       {{{"name", "blk.0.attn_q.weight"}, {"cols", 64}, {"n_tokens", 10}, {"sum_sq", ramp}},
        {{"name", "blk.1.attn_q.weight"}, {"cols", 64}, {"n_tokens", 0}, {"sum_sq", zeros}}}}};
  const std::string path = Fresh("stats.json");
  ::mixq::testing::WriteStringToFile(path, stats.dump(1));
  return path;
}

TEST(QuantizeModel, ImatrixFromAStatsFile) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  auto stats = LoadActivationStats(HandWrittenStats());
  ASSERT_TRUE(stats.ok()) << stats.message();
  const ImportanceMap importance = ImportanceFromStats(*stats);
  ASSERT_EQ(importance.size(), 1u) << "a tensor that saw no token gets no importance";
  ASSERT_EQ(importance.count("blk.0.attn_q.weight"), 1u);
  EXPECT_EQ(importance.at("blk.0.attn_q.weight")[63], 64.0f);
  QuantizeOptions o;
  o.importance = &importance;
  const std::string out = Fresh("stats-q4_0.gguf");
  auto s = Quantize(*src, DType::kQ4_0, out, o);
  ASSERT_TRUE(s.ok()) << s.message();
  for (const auto& t : s->tensors) EXPECT_EQ(t.used_importance, t.plan.name == "blk.0.attn_q.weight") << t.plan.name;
}

// ---- refusals: an error naming the problem, and nothing at the output path ----

void ExpectNothingAt(const std::string& path) {
  EXPECT_FALSE(Exists(path)) << path;
  EXPECT_FALSE(Exists(path + ".tmp")) << path;
}

TEST(QuantizeModel, RefusesAMissingDirectory) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  const std::string out = Fresh("no-such-dir") + "/out.gguf";
  auto s = Quantize(*src, DType::kQ8_0, out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(out));
  ExpectNothingAt(out);
}

TEST(QuantizeModel, RefusesAQuantizedSource) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  const std::string q8 = Fresh("source-q8_0.gguf");
  ASSERT_TRUE(Quantize(*src, DType::kQ8_0, q8).ok());
  auto quantized = LoadOrDie(q8);
  ASSERT_TRUE(quantized);
  const std::string out = Fresh("requantized.gguf");
  auto s = Quantize(*quantized, DType::kQ4_0, out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("tensor 'token_embd.weight' is q8_0"));
  EXPECT_THAT(s.message(), HasSubstr("only from f32/f16/bf16"));
  ExpectNothingAt(out);

  // An f32 GGUF source is re-quantized like any other, its metadata carried over.
  const std::string f32 = Fresh("source-f32.gguf");
  ASSERT_TRUE(Quantize(*src, DType::kF32, f32).ok());
  auto from_gguf = LoadOrDie(f32);
  ASSERT_TRUE(from_gguf);
  const std::string again = Fresh("from-gguf-q8_0.gguf");
  auto ok = Quantize(*from_gguf, DType::kQ8_0, again);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(::mixq::testing::ReadFileToString(again), ::mixq::testing::ReadFileToString(q8))
      << "llama2.c -> q8_0 and llama2.c -> f32 GGUF -> q8_0 write the same file";
}

TEST(QuantizeModel, FailureAtTheEndLeavesNoTempFile) {
  MIXQ_REQUIRE_SHARED(kStories);
  auto src = LoadOrDie(SharedPath(kStories));
  ASSERT_TRUE(src);
  // The output path is a non-empty directory: every tensor is written, then the rename fails.
  const std::string out = Fresh("out-is-a-dir");
  std::filesystem::create_directories(out + "/keep");
  auto s = Quantize(*src, DType::kQ8_0, out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(out));
  EXPECT_TRUE(std::filesystem::is_directory(out + "/keep"));
  EXPECT_FALSE(Exists(out + ".tmp"));
}

// ---- the command ----

#define REQUIRE_BINARY()                                                                           \
  do {                                                                                             \
    if (!Exists(MIXQ_BINARY)) GTEST_SKIP() << "mixq binary not built: " << MIXQ_BINARY;           \
  } while (0)

TEST(QuantizeCli, JsonSummaryAndErrors) {
  MIXQ_REQUIRE_SHARED(kStories);
  REQUIRE_BINARY();
  const std::string out = Fresh("cli.gguf");
  auto run = ::mixq::testing::RunMixq("quantize " + SharedPath(kStories) + " -o " + out +
                                      " --type Q4_0 --threads 2 --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("[  47/  47] blk.4.ffn_down.weight"));
  EXPECT_THAT(run.output, HasSubstr("(fallback from q4_0)"));
  const size_t brace = run.output.find("{\n");
  ASSERT_NE(brace, std::string::npos) << run.output;
  const auto j = nlohmann::json::parse(run.output.substr(brace));
  EXPECT_EQ(j["type"], "q4_0");
  EXPECT_EQ(j["file_type"], 2);
  EXPECT_EQ(j["file_bytes"].get<uint64_t>(), std::filesystem::file_size(out));
  EXPECT_EQ(j["tensors"].size(), 47u);
  EXPECT_EQ(j["fallbacks"].size(), 6u);  // 5 ffn_down to f16, the tied head q6_K -> q8_0
  EXPECT_GT(j["bits_per_weight"].get<double>(), 4.5);

  const std::string with_stats = Fresh("cli-imatrix.gguf");
  auto imatrix = ::mixq::testing::RunMixq("quantize " + SharedPath(kStories) + " -o " + with_stats +
                                          " --type q4_0 -q --json --imatrix " + HandWrittenStats());
  ASSERT_EQ(imatrix.exit_code, 0) << imatrix.output;
  const auto ji = nlohmann::json::parse(imatrix.output.substr(imatrix.output.find("{\n")));
  for (const auto& t : ji["tensors"]) EXPECT_EQ(t["importance"], t["name"] == "blk.0.attn_q.weight") << t["name"];
  auto bad_stats = ::mixq::testing::RunMixq("quantize " + SharedPath(kStories) + " -o " + Fresh("y.gguf") +
                                            " --type q4_0 --imatrix " + Fresh("missing.json"));
  EXPECT_EQ(bad_stats.exit_code, 1);
  EXPECT_THAT(bad_stats.output, HasSubstr("--imatrix"));

  auto bad_type = ::mixq::testing::RunMixq("quantize " + SharedPath(kStories) + " -o " + Fresh("x.gguf") + " --type q9");
  EXPECT_EQ(bad_type.exit_code, 1);
  EXPECT_THAT(bad_type.output, HasSubstr("mixq: error: [quantize] unknown type 'q9'"));
}

}  // namespace
}  // namespace mixq::eval
