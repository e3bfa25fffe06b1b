// mixq calibrate MODEL -f TEXT [-c CTX] [--chunks N] -o stats.json|.bin: per-tensor activation
// statistics (diag of X^T X per input channel) for importance-weighted quantization
// (docs/calibration.md). Progress on stderr, a one-line summary on stdout.
#include <cstdio>
#include <memory>

#include "command.h"
#include "mixq/eval/calibration.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/model/model.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq::cli {
namespace {

struct CalibrateCliOptions {
  std::string model;
  std::string text_file;
  std::string output;
  std::string tokenizer;
  bool crlf_to_lf = false;
  bool quiet = false;
  eval::CalibrationOptions run;
  ComputeOptions compute;
};

// At most one progress line a second, and always the last.
eval::CalibrationProgressFn MakeProgress(bool quiet) {
  if (quiet) return {};
  auto last = std::make_shared<double>(-1.0);
  return [last](const eval::CalibrationProgress& p) {
    if (p.chunks_done != p.n_chunks && p.elapsed_s - *last < 1.0) return;
    *last = p.elapsed_s;
    const double eta = p.chunks_done > 0 ? p.elapsed_s / p.chunks_done * (p.n_chunks - p.chunks_done) : 0.0;
    std::fprintf(stderr, "[calibrate] chunk %lld/%lld, %lld tokens, %.1f s, ETA %.0f s\n",
                 static_cast<long long>(p.chunks_done), static_cast<long long>(p.n_chunks),
                 static_cast<long long>(p.tokens_done), p.elapsed_s, eta);
  };
}

Result<eval::ActivationStats> Collect(const CalibrateCliOptions& o) {
  MIXQ_RETURN_IF_ERROR(eval::CheckActivationStatsPath(o.output));
  MIXQ_ASSIGN_OR_RETURN(Context ctx, MakeContext(o.compute));
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<Model> model, Model::Load(o.model));
  MIXQ_ASSIGN_OR_RETURN(std::string text, eval::ReadTextFile(o.text_file, o.crlf_to_lf));
  MIXQ_ASSIGN_OR_RETURN(auto tokenizer, LoadTokenizer(model->files(), o.tokenizer));
  MIXQ_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, eval::TokenizeForPerplexity(*tokenizer, text));
  const int32_t bos = tokenizer->add_bos() ? tokenizer->bos_id() : -1;
  MIXQ_ASSIGN_OR_RETURN(eval::ActivationStats stats,
                        eval::CollectActivationStats(ctx, model, tokens, bos, o.run, MakeProgress(o.quiet)));
  stats.provenance.model = o.model;
  stats.provenance.text = o.text_file;
  stats.provenance.text_bytes = text.size();
  stats.provenance.text_fnv1a64 = eval::Fnv1a64Hex(text);
  return stats;
}

int Run(const CalibrateCliOptions& o) {
  auto stats = Collect(o);
  if (!stats.ok()) return ReportError(stats.status());
  if (Status s = eval::SaveActivationStats(*stats, o.output); !s.ok()) return ReportError(s);
  std::printf("wrote %s: %zu tensors, %lld tokens in %lld chunks of up to %lld\n", o.output.c_str(),
              stats->tensors.size(), static_cast<long long>(stats->provenance.n_tokens),
              static_cast<long long>(stats->provenance.n_chunks), static_cast<long long>(stats->provenance.n_ctx));
  return 0;
}

CommandRegistration reg("calibrate", "activation statistics (diag of X^T X per weight input) for importance-weighted quantization",
                        [](CLI::App* sub) {
  auto o = std::make_shared<CalibrateCliOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf or llama2.c .bin")->required();
  sub->add_option("-f,--file", o->text_file, "calibration text file, read as bytes")->required();
  sub->add_option("-o,--output", o->output, "statistics file to write: .json or .bin (docs/calibration.md)")->required();
  sub->add_option("-c,--ctx-size", o->run.n_ctx, "tokens per chunk, each from an empty cache (default 512)");
  sub->add_option("-b,--batch-size", o->run.n_batch, "tokens per forward call, capped at the context (default 512)");
  sub->add_option("--chunks", o->run.max_chunks, "use only the first N chunks (default: all)");
  sub->add_flag("--crlf-to-lf", o->crlf_to_lf, "replace CRLF line ends by LF before tokenizing");
  sub->add_option("--tokenizer", o->tokenizer, "tokenizer file (default: the model's own)");
  sub->add_flag("-q,--quiet", o->quiet, "no progress lines on stderr");
  AddComputeOptions(sub, &o->compute);
  return [o] { return Run(*o); };
});

}  // namespace
}  // namespace mixq::cli
