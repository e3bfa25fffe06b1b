// mixq perplexity MODEL -f TEXT -c CTX: llama.cpp-style perplexity, optionally saving a logits
// baseline (--save-logits) or comparing with one (--kld-base). Progress on stderr, results on
// stdout (one JSON object with --json).
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "mixq/eval/perplexity.h"
#include "mixq/eval/perplexity_input.h"
#include "mixq/model/model.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq::cli {
namespace {

struct PerplexityCliOptions {
  std::string model;
  std::string text_file;
  std::string tokenizer;
  bool crlf_to_lf = false;
  bool json = false;
  bool quiet = false;
  eval::PerplexityOptions run;
  ComputeOptions compute;
};

// At most one progress line a second (and always the last), so 1,739 chunks stay readable.
eval::ProgressFn MakeProgress(bool quiet) {
  if (quiet) return {};
  auto last = std::make_shared<double>(-1.0);
  return [last](const eval::ChunkProgress& p) {
    if (p.chunks_done != p.n_chunks && p.elapsed_s - *last < 1.0) return;
    *last = p.elapsed_s;
    std::fprintf(stderr, "[perplexity] chunk %lld/%lld, running PPL %.4f", static_cast<long long>(p.chunks_done),
                 static_cast<long long>(p.n_chunks), p.running.ppl);
    if (p.has_kld) std::fprintf(stderr, ", running KLD %.6f", p.running_kld);
    std::fprintf(stderr, ", ETA %.0f s\n", p.eta_s);
  };
}

nlohmann::json KldJson(const eval::KldSummary& k) {
  return {{"n_positions", k.n_positions},
          {"mean", k.mean},
          {"mean_stderr", k.mean_stderr},
          {"percentiles",
           {{"max", k.max}, {"99.9", k.p999}, {"99", k.p99}, {"95", k.p95}, {"90", k.p90}, {"median", k.median},
            {"10", k.p10}, {"5", k.p05}, {"1", k.p01}, {"min", k.min}}},
          {"same_top1", k.same_top1},
          {"same_top1_stderr", k.same_top1_stderr},
          {"base_ppl", k.base_ppl.ppl},
          {"base_ppl_stderr", k.base_ppl.ppl_stderr},
          {"mean_ln_ppl_ratio", k.mean_ln_ppl_ratio},
          {"ln_ppl_ratio_stderr", k.ln_ppl_ratio_stderr},
          {"mean_delta_p", k.mean_delta_p},
          {"delta_p_stderr", k.delta_p_stderr},
          {"rms_delta_p", k.rms_delta_p}};
}

void PrintJson(const PerplexityCliOptions& o, const Context& ctx, const eval::PerplexityResult& r) {
  nlohmann::json out = {{"model", o.model},
                        {"text_file", o.text_file},
                        {"n_input_tokens", r.n_input_tokens},
                        {"n_ctx", r.layout.n_ctx},
                        {"n_batch", std::min(o.run.n_batch, r.layout.n_ctx)},
                        {"n_chunks", r.layout.n_chunks},
                        {"scored_per_chunk", r.layout.n_scored},
                        {"n_scored", r.layout.n_rows()},
                        {"mean_nll", r.ppl.mean_nll},
                        {"nll_stderr", r.ppl.nll_stderr},
                        {"ppl", r.ppl.ppl},
                        {"ppl_stderr", r.ppl.ppl_stderr},
                        {"chunk_mean_nll", r.chunk_mean_nll},
                        {"seconds", r.seconds},
                        {"tokens_per_second", r.tokens_per_second},
                        {"threads", ctx.n_threads},
                        {"isa", IsaName(ctx.isa)}};
  if (!o.run.save_logits_path.empty()) out["saved_logits"] = o.run.save_logits_path;
  if (r.has_kld) {
    out["kld_base"] = o.run.kld_base_path;
    out["kld"] = KldJson(r.kld);
  }
  std::printf("%s\n", out.dump(2).c_str());
}

void PrintKld(const eval::KldSummary& k) {
  std::printf("\nKL divergence against the baseline (%lld positions):\n", static_cast<long long>(k.n_positions));
  std::printf("  PPL(base)              %.4f +/- %.5f\n", k.base_ppl.ppl, k.base_ppl.ppl_stderr);
  std::printf("  mean ln(PPL/PPL(base)) %.6f +/- %.6f\n", k.mean_ln_ppl_ratio, k.ln_ppl_ratio_stderr);
  std::printf("  mean KLD               %.6f +/- %.6f\n", k.mean, k.mean_stderr);
  std::printf("  KLD max %.6f | 99.9%% %.6f | 99%% %.6f | 95%% %.6f | 90%% %.6f | median %.6f | 10%% %.6f | "
              "5%% %.6f | 1%% %.6f | min %.6f\n",
              k.max, k.p999, k.p99, k.p95, k.p90, k.median, k.p10, k.p05, k.p01, k.min);
  std::printf("  same top-1 token       %.3f +/- %.3f %%\n", 100.0 * k.same_top1, 100.0 * k.same_top1_stderr);
  std::printf("  delta p (next token)   mean %.4f +/- %.4f %%, RMS %.4f %%\n", 100.0 * k.mean_delta_p,
              100.0 * k.delta_p_stderr, 100.0 * k.rms_delta_p);
}

void PrintText(const PerplexityCliOptions& o, const Context& ctx, const eval::PerplexityResult& r) {
  std::printf("model: %s\n", o.model.c_str());
  std::printf("text: %s (%lld tokens)\n", o.text_file.empty() ? o.run.kld_base_path.c_str() : o.text_file.c_str(),
              static_cast<long long>(r.n_input_tokens));
  std::printf("n_ctx %lld, %lld chunks, %lld scored per chunk (%lld positions)\n",
              static_cast<long long>(r.layout.n_ctx), static_cast<long long>(r.layout.n_chunks),
              static_cast<long long>(r.layout.n_scored), static_cast<long long>(r.layout.n_rows()));
  std::printf("PPL = %.4f +/- %.5f (mean NLL %.6f +/- %.6f)\n", r.ppl.ppl, r.ppl.ppl_stderr, r.ppl.mean_nll,
              r.ppl.nll_stderr);
  std::printf("time: %.2f s, %.1f tokens/s (%s, %d threads)\n", r.seconds, r.tokens_per_second, IsaName(ctx.isa),
              ctx.n_threads);
  if (!o.run.save_logits_path.empty()) std::printf("saved logits: %s\n", o.run.save_logits_path.c_str());
  if (r.has_kld) PrintKld(r.kld);
}

// BOS + encode(text) with the model's tokenizer; empty when reusing the baseline's tokens.
Status LoadTokens(const PerplexityCliOptions& o, const Model& model, std::vector<int32_t>* tokens, int32_t* bos) {
  *bos = -1;
  if (o.text_file.empty()) {
    if (o.run.kld_base_path.empty()) return Err("-f/--file is required (or --kld-base to reuse the baseline's tokens)");
    return Status::Ok();
  }
  MIXQ_ASSIGN_OR_RETURN(std::string text, eval::ReadTextFile(o.text_file, o.crlf_to_lf));
  MIXQ_ASSIGN_OR_RETURN(auto tokenizer, LoadTokenizer(model.files(), o.tokenizer));
  MIXQ_ASSIGN_OR_RETURN(*tokens, eval::TokenizeForPerplexity(*tokenizer, text));
  if (tokenizer->add_bos()) *bos = tokenizer->bos_id();
  return Status::Ok();
}

int Run(const PerplexityCliOptions& o) {
  auto ctx = MakeContext(o.compute);
  if (!ctx.ok()) return ReportError(ctx.status());
  auto model = Model::Load(o.model);
  if (!model.ok()) return ReportError(model.status());
  std::vector<int32_t> tokens;
  int32_t bos = -1;
  if (Status s = LoadTokens(o, **model, &tokens, &bos); !s.ok()) return ReportError(s);
  auto result = eval::RunPerplexity(*ctx, *model, tokens, bos, o.run, MakeProgress(o.quiet));
  if (!result.ok()) return ReportError(result.status());
  if (o.json) {
    PrintJson(o, *ctx, *result);
  } else {
    PrintText(o, *ctx, *result);
  }
  return 0;
}

CommandRegistration reg("perplexity", "perplexity of a text file (llama.cpp's method), KL divergence vs a baseline",
                        [](CLI::App* sub) {
  auto o = std::make_shared<PerplexityCliOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf or llama2.c .bin")->required();
  sub->add_option("-f,--file", o->text_file, "text file, read as bytes");
  sub->add_option("-c,--ctx-size", o->run.n_ctx, "tokens per chunk (default 512, or the --kld-base file's)");
  sub->add_option("-b,--batch-size", o->run.n_batch, "tokens per forward call, capped at the context (default 2048)");
  sub->add_option("--chunks", o->run.max_chunks, "evaluate only the first N chunks (default: all, or the --kld-base file's)");
  sub->add_flag("--crlf-to-lf", o->crlf_to_lf, "replace CRLF line ends by LF before tokenizing");
  sub->add_option("--tokenizer", o->tokenizer, "tokenizer file (default: the model's own)");
  sub->add_option("--save-logits", o->run.save_logits_path, "write this run's log-probabilities as a KLD baseline");
  sub->add_option("--kld-base", o->run.kld_base_path, "baseline from --save-logits to compute KL divergence against");
  sub->add_flag("--json", o->json, "print one JSON object");
  sub->add_flag("-q,--quiet", o->quiet, "no progress lines on stderr");
  AddComputeOptions(sub, &o->compute);
  return [o] { return Run(*o); };
});

}  // namespace
}  // namespace mixq::cli
