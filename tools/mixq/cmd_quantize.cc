// mixq quantize MODEL -o OUT.gguf --type TYPE: every linear layer to TYPE, llama.cpp-like
// defaults for the embedding and output head (eval/quantize.h, docs/gguf.md). Progress on
// stderr (one line per tensor, then fallbacks and other notes), a summary on stdout (one JSON
// object with --json).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "mixq/eval/calibration.h"
#include "mixq/eval/quantize.h"
#include "mixq/io/model_files.h"

namespace mixq::cli {
namespace {

struct QuantizeCliOptions {
  std::string model;
  std::string output;
  std::string type;
  std::string token_embedding_type;
  std::string output_tensor_type;
  std::string imatrix;
  std::string name;
  std::string tokenizer;
  bool pure = false;
  bool json = false;
  bool quiet = false;
  ComputeOptions compute;
};

Result<std::optional<DType>> OptionalType(const std::string& flag, const std::string& name) {
  if (name.empty()) return std::optional<DType>();
  auto t = eval::ParseQuantizeType(name);
  if (!t.ok()) return t.status().WithContext(flag);
  if (!t->alias.empty()) return Err("{}: '{}' is a mix name; give a tensor type (e.g. q6_K)", flag, name);
  return std::optional<DType>(t->type);
}

// --imatrix: per-input-channel activation energy from `mixq calibrate` (docs/calibration.md).
Result<eval::ImportanceMap> LoadImportance(const std::string& path) {
  auto stats = eval::LoadActivationStats(path);
  if (!stats.ok()) return stats.status().WithContext("--imatrix");
  return eval::ImportanceFromStats(*stats);
}

Status BuildOptions(const QuantizeCliOptions& o, eval::QuantizeType* type, eval::QuantizeOptions* q,
                    eval::ImportanceMap* importance) {
  MIXQ_ASSIGN_OR_RETURN(*type, eval::ParseQuantizeType(o.type));
  q->type = type->type;
  MIXQ_ASSIGN_OR_RETURN(q->token_embedding_type, OptionalType("--token-embedding-type", o.token_embedding_type));
  MIXQ_ASSIGN_OR_RETURN(q->output_tensor_type, OptionalType("--output-tensor-type", o.output_tensor_type));
  q->pure = o.pure;
  q->name = o.name;
  q->tokenizer_path = o.tokenizer;
  if (!o.imatrix.empty()) {
    MIXQ_ASSIGN_OR_RETURN(*importance, LoadImportance(o.imatrix));
    q->importance = importance;
  }
  return Status::Ok();
}

void PrintProgress(const eval::QuantizeProgress& p) {
  const eval::TensorQuantResult& t = *p.tensor;
  std::string types = fmt::format("{} -> {}", DTypeName(t.plan.source), DTypeName(t.plan.type));
  if (t.plan.fallback()) types += fmt::format(" (fallback from {})", DTypeName(t.plan.requested));
  std::fprintf(stderr, "[%4zu/%4zu] %-32s %-14s %-30s %9.3f MB%s\n", p.index + 1, p.count, t.plan.name.c_str(),
               ShapeToString(t.plan.shape).c_str(), types.c_str(), t.bytes / 1e6, t.plan.permute_qk ? "  (Q/K rows permuted)" : "");
}

nlohmann::json SummaryJson(const QuantizeCliOptions& o, const eval::QuantizeType& type, const eval::QuantizeSummary& s,
                           const Context& ctx) {
  nlohmann::json tensors = nlohmann::json::array(), fallbacks = nlohmann::json::array();
  for (const eval::TensorQuantResult& t : s.tensors) {
    tensors.push_back({{"name", t.plan.name},
                       {"shape", t.plan.shape},
                       {"source_type", DTypeName(t.plan.source)},
                       {"requested_type", DTypeName(t.plan.requested)},
                       {"type", DTypeName(t.plan.type)},
                       {"bytes", t.bytes},
                       {"qk_permuted", t.plan.permute_qk},
                       {"importance", t.used_importance}});
    if (t.plan.fallback())
      fallbacks.push_back({{"tensor", t.plan.name}, {"requested", DTypeName(t.plan.requested)}, {"type", DTypeName(t.plan.type)}});
  }
  nlohmann::json out = {{"model", o.model},       {"output", s.path},
                        {"type", DTypeName(type.type)},
                        {"pure", o.pure},          {"file_bytes", s.file_bytes},
                        {"tensor_bytes", s.tensor_bytes}, {"parameters", s.parameters},
                        {"bits_per_weight", s.bits_per_weight()}, {"seconds", s.seconds},
                        {"threads", ctx.n_threads}, {"fallbacks", fallbacks},
                        {"notes", s.notes},        {"tensors", tensors}};
  out["type_alias"] = type.alias.empty() ? nlohmann::json() : nlohmann::json(type.alias);
  out["file_type"] = s.file_type ? nlohmann::json(*s.file_type) : nlohmann::json();
  out["imatrix"] = o.imatrix.empty() ? nlohmann::json() : nlohmann::json(o.imatrix);
  return out;
}

int Run(const QuantizeCliOptions& o) {
  auto ctx = MakeContext(o.compute);
  if (!ctx.ok()) return ReportError(ctx.status());
  eval::QuantizeType type;
  eval::QuantizeOptions options;
  eval::ImportanceMap importance;
  if (Status s = BuildOptions(o, &type, &options, &importance); !s.ok()) return ReportError(s);
  if (!type.alias.empty() && !o.quiet)
    std::fprintf(stderr, "note: %s is taken as uniform %s (mixq does not copy llama.cpp's per-tensor mix)\n",
                 type.alias.c_str(), DTypeName(type.type));
  auto model = LoadModelFiles(o.model);
  if (!model.ok()) return ReportError(model.status());
  eval::QuantizeProgressFn progress;
  if (!o.quiet) progress = PrintProgress;
  auto summary = eval::QuantizeModel(*ctx, **model, o.output, options, progress);
  if (!summary.ok()) return ReportError(summary.status());
  const eval::QuantizeSummary& s = *summary;
  if (!o.quiet)
    for (const std::string& note : s.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (o.json) {
    std::printf("%s\n", SummaryJson(o, type, s, *ctx).dump(2).c_str());
    return 0;
  }
  int fallbacks = 0;
  for (const auto& t : s.tensors) fallbacks += t.plan.fallback() ? 1 : 0;
  std::printf("wrote %s: %zu tensors, %.2f MB (%.2f MiB) file, %.4f bits per weight over %lld parameters\n",
              s.path.c_str(), s.tensors.size(), s.file_bytes / 1e6, s.file_bytes / 1048576.0, s.bits_per_weight(),
              static_cast<long long>(s.parameters));
  std::printf("type %s%s, general.file_type %s, %d fallbacks, %.2f s (%d threads)\n", DTypeName(type.type),
              o.pure ? " (pure)" : "", s.file_type ? std::to_string(*s.file_type).c_str() : "none", fallbacks,
              s.seconds, ctx->n_threads);
  return 0;
}

CommandRegistration reg("quantize", "quantize a model's linear layers to one type and write a GGUF file",
                        [](CLI::App* sub) {
  auto o = std::make_shared<QuantizeCliOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf (f32/f16/bf16) or llama2.c .bin")->required();
  sub->add_option("-o,--output", o->output, "output .gguf file (written to OUT.tmp, then renamed)")->required();
  sub->add_option("--type", o->type,
                  "type of the linear layers: q4_0 q4_1 q5_0 q5_1 q8_0 q2_K q3_K q4_K q5_K q6_K iq4_nl f16 bf16 f32, "
                  "or a llama.cpp mix name (Q4_K_M...) taken as its base type")
      ->required();
  sub->add_option("--token-embedding-type", o->token_embedding_type, "type of token_embd.weight (default: TYPE)");
  sub->add_option("--output-tensor-type", o->output_tensor_type,
                  "type of output.weight (default: q6_K, or q8_0 when TYPE is q8_0; TYPE when unquantized)");
  sub->add_flag("--pure", o->pure, "the embedding and output head in TYPE too");
  sub->add_option("--imatrix", o->imatrix, "activation statistics from mixq calibrate (importance-weighted quantization)");
  sub->add_option("--name", o->name, "general.name (default: the model's file or directory name)");
  sub->add_option("--tokenizer", o->tokenizer, "tokenizer file to embed (default: the model's own)");
  sub->add_flag("--json", o->json, "print the summary as one JSON object");
  sub->add_flag("-q,--quiet", o->quiet, "no progress lines on stderr");
  AddComputeOptions(sub, &o->compute);
  return [o] { return Run(*o); };
});

}  // namespace
}  // namespace mixq::cli
