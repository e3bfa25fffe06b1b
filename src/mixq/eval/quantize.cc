#include "mixq/eval/quantize.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "mixq/base/half.h"
#include "mixq/base/parallel.h"
#include "mixq/eval/calibration.h"
#include "mixq/io/gguf.h"
#include "mixq/io/gguf_export.h"
#include "mixq/io/gguf_writer.h"
#include "mixq/io/model_check.h"
#include "mixq/kernels/matmul.h"
#include "mixq/quant/codec.h"
#include "mixq/tokenizer/tokenizer.h"
#include "mixq/tokenizer/vocab_export.h"

namespace mixq::eval {
namespace {

// llama.cpp's mix names and the base type mixq takes them as.
struct MixAlias {
  const char* name;
  DType base;
};
constexpr MixAlias kMixAliases[] = {
    {"Q2_K_S", DType::kQ2_K}, {"Q3_K_S", DType::kQ3_K}, {"Q3_K_M", DType::kQ3_K}, {"Q3_K_L", DType::kQ3_K},
    {"Q4_K_S", DType::kQ4_K}, {"Q4_K_M", DType::kQ4_K}, {"Q5_K_S", DType::kQ5_K}, {"Q5_K_M", DType::kQ5_K},
};

bool IsPlainFloat(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// Types a file can hold that mixq can produce: f32/f16/bf16 and any type with a codec except
// ggml's activation-side q8_1 / q8_K.
bool CanWrite(DType t) {
  if (IsPlainFloat(t)) return true;
  return t != DType::kQ8_1 && t != DType::kQ8_K && FindQuantCodec(t) != nullptr;
}

int64_t BlockSize(DType t) { return GetDTypeInfo(t).block_size; }

// llama.cpp b4748's fallback for rows that are not a whole number of blocks, then f16.
DType FallbackType(DType type, int64_t row) {
  DType next = DType::kF16;
  switch (type) {
    case DType::kQ2_K:
    case DType::kQ3_K: next = DType::kIQ4_NL; break;
    case DType::kQ4_K: next = DType::kQ5_0; break;
    case DType::kQ5_K: next = DType::kQ5_1; break;
    case DType::kQ6_K: next = DType::kQ8_0; break;
    default: break;
  }
  return row % BlockSize(next) == 0 && CanWrite(next) ? next : DType::kF16;
}

// The output head's default under a quantized TYPE (llama_tensor_get_type's first branch).
DType OutputDefault(DType type, int64_t row) {
  if (!GetDTypeInfo(type).quantized) return type;
  if (type == DType::kQ8_0 || row % BlockSize(type) != 0) return DType::kQ8_0;
  return DType::kQ6_K;
}

bool IsLinear(const std::string& name) {
  for (const char* suffix : {".attn_q.weight", ".attn_k.weight", ".attn_v.weight", ".attn_output.weight",
                             ".ffn_gate.weight", ".ffn_up.weight", ".ffn_down.weight"})
    if (name.ends_with(suffix)) return true;
  return false;
}

DType RequestedType(const std::string& name, const ModelConfig& config, const QuantizeOptions& o, int64_t row) {
  const DType output_default = o.pure ? o.type : OutputDefault(o.type, row);
  if (name == "output.weight") return o.output_tensor_type.value_or(output_default);
  if (name == "token_embd.weight") {
    if (o.token_embedding_type) return *o.token_embedding_type;
    if (config.tied_embeddings) return o.output_tensor_type.value_or(output_default);
    return o.type;
  }
  return IsLinear(name) ? o.type : DType::kF32;  // norms and biases
}

Status CheckImportance(const LoadedModel& model, const QuantizeOptions& o, const TensorQuantPlan& p) {
  if (o.importance == nullptr) return Status::Ok();
  auto it = o.importance->find(p.name);
  if (it == o.importance->end() || !GetDTypeInfo(p.type).quantized) return Status::Ok();
  if (static_cast<int64_t>(it->second.size()) != p.shape.back() && p.name != "token_embd.weight")
    return Err("[quantize] {}: tensor '{}': importance data has {} values for rows of {}", model.path, p.name,
               it->second.size(), p.shape.back());
  return Status::Ok();
}

}  // namespace

Result<QuantizeType> ParseQuantizeType(const std::string& name) {
  for (const MixAlias& a : kMixAliases)
    if (strcasecmp(name.c_str(), a.name) == 0) return QuantizeType{a.base, a.name};
  std::optional<DType> t = ParseDType(name);
  if (!t) return Err("[quantize] unknown type '{}' (e.g. q8_0, q4_0, q4_K, q6_K, f16, or Q4_K_M)", name);
  if (!CanWrite(*t))
    return Err("[quantize] type '{}' cannot be written: {}", name,
               FindQuantCodec(*t) == nullptr ? "no codec is registered for it" : "it is an activation-only type");
  return QuantizeType{*t, ""};
}

ImportanceMap ImportanceFromStats(const ActivationStats& stats) {
  ImportanceMap importance;
  for (const auto& [name, t] : stats.tensors)
    if (t.n_tokens > 0) importance[name] = t.MeanSquare();
  return importance;
}

Result<std::vector<TensorQuantPlan>> PlanQuantization(const LoadedModel& model, const QuantizeOptions& o) {
  for (std::optional<DType> t : {std::optional<DType>(o.type), o.token_embedding_type, o.output_tensor_type})
    if (t && !CanWrite(*t)) return Err("[quantize] {}: type {} cannot be written", model.path, DTypeName(*t));
  MIXQ_ASSIGN_OR_RETURN(const GgufArchExport arch, GgufExportArch(model.config, model.path));
  std::vector<TensorQuantPlan> plans;
  for (const ExpectedTensor& e : ExpectedModelTensors(model.config)) {
    const Tensor* t = model.tensors.Find(e.name);
    if (t == nullptr) return Err("[quantize] {}: missing tensor '{}'", model.path, e.name);
    if (!IsPlainFloat(t->dtype))
      return Err("[quantize] {}: tensor '{}' is {}; mixq quantizes only from f32/f16/bf16 weights (re-quantizing "
                 "a quantized model would compound the errors)", model.path, e.name, DTypeName(t->dtype));
    TensorQuantPlan p;
    p.name = e.name;
    p.shape = t->shape;
    p.source = t->dtype;
    const int64_t row = t->cols();
    p.requested = t->shape.size() < 2 ? DType::kF32 : RequestedType(e.name, model.config, o, row);
    p.type = row % BlockSize(p.requested) == 0 ? p.requested : FallbackType(p.requested, row);
    p.permute_qk = arch.permute_qk && (e.name.ends_with(".attn_q.weight") || e.name.ends_with(".attn_k.weight"));
    MIXQ_RETURN_IF_ERROR(CheckImportance(model, o, p));
    plans.push_back(std::move(p));
  }
  return plans;
}

namespace {

// The source as rows: {rows, cols} for matrices, one row for vectors.
WeightMatrix RowsOf(const Tensor& t) {
  const int64_t rows = t.shape.size() < 2 ? 1 : t.rows();
  return WeightMatrix{t.dtype, rows, t.numel() / rows, t.data, t.nbytes / static_cast<size_t>(rows), &t.name};
}

void StoreRow(DType type, const float* x, int64_t n, const float* importance, void* dst) {
  switch (type) {
    case DType::kF32: std::copy(x, x + n, static_cast<float*>(dst)); return;
    case DType::kF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = FloatToF16(x[i]);
      return;
    }
    case DType::kBF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = FloatToBf16(x[i]);
      return;
    }
    default: FindQuantCodec(type)->quantize_row(x, dst, n, importance);
  }
}

// Converts (and permutes, and quantizes) one tensor into `out`, rows in parallel.
void ConvertTensor(const Context& ctx, const Tensor& t, const TensorQuantPlan& p, int64_t head_dim,
                   const float* importance, std::vector<uint8_t>* out) {
  const WeightMatrix src = RowsOf(t);
  const size_t row_bytes = *DTypeBytes(p.type, src.cols);
  out->resize(row_bytes * static_cast<size_t>(src.rows));
  ParallelFor(ctx, src.rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(src.cols));
    for (int64_t r = begin; r < end; ++r) {
      DequantizeRow(src, p.permute_qk ? RotateHalfSourceRow(r, head_dim) : r, row.data());
      StoreRow(p.type, row.data(), src.cols, importance, out->data() + row_bytes * static_cast<size_t>(r));
    }
  });
}

std::string DefaultName(const std::string& path) {
  std::filesystem::path p(path);
  while (!p.empty() && !p.has_filename()) p = p.parent_path();  // "dir/" -> "dir"
  return std::filesystem::is_directory(p) ? p.filename().string() : p.stem().string();
}

// general.* and architecture keys (or the GGUF source's own), file type, vocabulary.
Result<std::vector<GgufKeyValue>> BuildMetadata(const LoadedModel& model, const QuantizeOptions& o,
                                                const std::vector<TensorQuantPlan>& plans,
                                                std::optional<uint32_t>* file_type) {
  std::vector<GgufKeyValue> kv;
  if (model.gguf) {
    kv = GgufCarriedMetadata(*model.gguf);
  } else {
    MIXQ_ASSIGN_OR_RETURN(kv, GgufModelMetadata(model.config, o.name.empty() ? DefaultName(model.path) : o.name,
                                                 model.path));
  }
  std::map<DType, int> counts;
  bool quantized = false;
  for (const TensorQuantPlan& p : plans)
    if (p.shape.size() >= 2) {
      ++counts[p.type];
      quantized = quantized || GetDTypeInfo(p.type).quantized;
    }
  const auto dominant = std::max_element(counts.begin(), counts.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
  *file_type = dominant == counts.end() ? std::nullopt : LlamaFileType(dominant->first);
  // Before the tokenizer keys (as llama.cpp orders them), so a GGUF source and the model it was
  // exported from give the same file.
  auto at = std::find_if(kv.begin(), kv.end(), [](const GgufKeyValue& item) { return item.key.starts_with("tokenizer."); });
  if (*file_type) at = kv.insert(at, {"general.file_type", GgufU32(**file_type)});
  if (quantized) kv.insert(at, {"general.quantization_version", GgufU32(kGgmlQuantizationVersion)});
  if (!model.gguf) {
    MIXQ_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, LoadTokenizer(model, o.tokenizer_path));
    MIXQ_ASSIGN_OR_RETURN(std::vector<GgufKeyValue> vocab,
                          GgufVocabularyMetadata(*tokenizer, model.config.vocab_size, model.path));
    for (GgufKeyValue& item : vocab) kv.push_back(std::move(item));
  }
  return kv;
}

std::vector<std::string> Notes(const QuantizeOptions& o, const std::vector<TensorQuantPlan>& plans) {
  std::vector<std::string> notes;
  for (const TensorQuantPlan& p : plans) {
    if (p.fallback())
      notes.push_back(fmt::format("{}: rows of {} are not a multiple of the {} block size {}; using {}", p.name,
                                  p.shape.back(), DTypeName(p.requested), BlockSize(p.requested), DTypeName(p.type)));
    if (o.importance && GetDTypeInfo(p.type).quantized && !o.importance->count(p.name))
      notes.push_back(fmt::format("{}: no importance data; quantized without it", p.name));
  }
  return notes;
}

}  // namespace

Result<QuantizeSummary> QuantizeModel(const Context& ctx, const LoadedModel& model, const std::string& out_path,
                                      const QuantizeOptions& options, const QuantizeProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  MIXQ_ASSIGN_OR_RETURN(std::vector<TensorQuantPlan> plans, PlanQuantization(model, options));
  QuantizeSummary summary;
  summary.path = out_path;
  summary.notes = Notes(options, plans);
  MIXQ_ASSIGN_OR_RETURN(std::vector<GgufKeyValue> metadata, BuildMetadata(model, options, plans, &summary.file_type));
  std::vector<GgufTensorSpec> specs;
  for (const TensorQuantPlan& p : plans) specs.push_back({p.name, p.type, p.shape});
  MIXQ_ASSIGN_OR_RETURN(std::unique_ptr<GgufWriter> writer, GgufWriter::Create(out_path, metadata, std::move(specs)));

  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < plans.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const TensorQuantPlan& p = plans[i];
    const Tensor& t = *model.tensors.Find(p.name);
    const float* importance = nullptr;
    if (options.importance && GetDTypeInfo(p.type).quantized) {
      auto it = options.importance->find(p.name);
      if (it != options.importance->end() && static_cast<int64_t>(it->second.size()) == t.cols())
        importance = it->second.data();
    }
    ConvertTensor(ctx, t, p, model.config.head_dim, importance, &buffer);
    MIXQ_RETURN_IF_ERROR(writer->WriteNext(buffer.data(), buffer.size()));
    TensorQuantResult r{p, buffer.size(), importance != nullptr,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    summary.tensor_bytes += r.bytes;
    summary.parameters += t.numel();
    summary.tensors.push_back(std::move(r));
    if (progress) progress({i, plans.size(), &summary.tensors.back()});
  }
  MIXQ_RETURN_IF_ERROR(writer->Finish());
  summary.file_bytes = writer->file_size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace mixq::eval
