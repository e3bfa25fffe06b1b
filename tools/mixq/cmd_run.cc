// mixq run MODEL -p PROMPT -n N: streams generated text to stdout, timings to stderr.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "mixq/eval/sampler.h"
#include "mixq/model/model.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string prompt;
  std::string tokenizer;
  int n_predict = 128;
  int ctx_size = 0;
  float temperature = 0.8f;
  float top_p = 0.95f;
  int top_k = 40;
  uint64_t seed = 0;
  bool ignore_eos = false;
  bool json = false;
  ComputeOptions compute;
};

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

int Run(const RunOptions& o) {
  auto ctx = MakeContext(o.compute);
  if (!ctx.ok()) return ReportError(ctx.status());
  if (o.n_predict < 0) return ReportError(Err("-n must be >= 0, got {}", o.n_predict));
  auto model = Model::Load(o.model);
  if (!model.ok()) return ReportError(model.status());
  auto tokenizer = LoadTokenizer((*model)->files(), o.tokenizer);
  if (!tokenizer.ok()) return ReportError(tokenizer.status());
  const Tokenizer& tok = **tokenizer;
  const ModelConfig& config = (*model)->config();

  std::vector<int32_t> tokens;
  if (tok.add_bos() && tok.bos_id() >= 0) tokens.push_back(tok.bos_id());
  auto encoded = tok.Encode(o.prompt);
  if (!encoded.ok()) return ReportError(encoded.status());
  tokens.insert(tokens.end(), encoded->begin(), encoded->end());
  if (tokens.empty()) return ReportError(Err("the prompt is empty and the tokenizer adds no BOS: nothing to start from"));

  const int64_t n_ctx = o.ctx_size > 0 ? o.ctx_size : std::min<int64_t>(config.max_seq_len, static_cast<int64_t>(tokens.size()) + o.n_predict);
  if (static_cast<int64_t>(tokens.size()) >= n_ctx && o.n_predict > 0)
    return ReportError(Err("the prompt has {} tokens, which leaves no room in a context of {}", tokens.size(), n_ctx));
  InferenceSession session(*model, n_ctx);
  eval::Sampler sampler({o.temperature, o.top_k, o.top_p, o.seed});

  std::string text;
  auto emit = [&](const std::string& piece) {
    text += piece;
    if (!o.json) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
  };
  // Echo the prompt as text; a leading BOS is a control token, not text.
  for (size_t i = 0; i < tokens.size(); ++i)
    if (!(i == 0 && tokens[0] == tok.bos_id())) emit(tok.DecodeNext(i == 0 ? -1 : tokens[i - 1], tokens[i], !text.empty()));

  const auto t0 = Clock::now();
  Status st = session.Decode(*ctx, tokens, false);
  if (!st.ok()) return ReportError(st);
  const auto t1 = Clock::now();
  int generated = 0;
  std::string stop_reason = "length";
  while (generated < o.n_predict) {
    const int32_t next = sampler.Sample(session.logits(0), config.vocab_size);
    if (!o.ignore_eos && (next == tok.eos_id() || next == config.eos_token_id)) {
      stop_reason = "eos";
      break;
    }
    emit(tok.DecodeNext(tokens.back(), next, !text.empty()));
    tokens.push_back(next);
    ++generated;
    if (session.n_past() >= n_ctx) {
      stop_reason = "context";
      break;
    }
    if (generated == o.n_predict) break;
    st = session.Decode(*ctx, {next}, false);
    if (!st.ok()) return ReportError(st);
  }
  const auto t2 = Clock::now();
  const int64_t n_prompt = static_cast<int64_t>(tokens.size()) - generated;
  const double prompt_s = Seconds(t0, t1), gen_s = Seconds(t1, t2);
  const double prompt_tps = n_prompt / prompt_s, gen_tps = generated > 0 ? generated / gen_s : 0.0;
  if (o.json) {
    nlohmann::json out = {{"text", text},         {"prompt_tokens", n_prompt}, {"generated_tokens", generated},
                          {"stop", stop_reason},   {"prompt_tokens_per_s", prompt_tps},
                          {"gen_tokens_per_s", gen_tps}, {"threads", ctx->n_threads}, {"isa", IsaName(ctx->isa)}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr, "[run] prompt: %lld tokens, %.1f tokens/s | generation: %d tokens, %.1f tokens/s (%s, %d threads, stop: %s)\n",
                 static_cast<long long>(n_prompt), prompt_tps, generated, gen_tps, IsaName(ctx->isa), ctx->n_threads,
                 stop_reason.c_str());
  }
  return 0;
}

CommandRegistration reg("run", "generate text from a prompt", [](CLI::App* sub) {
  auto o = std::make_shared<RunOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf or llama2.c .bin")->required();
  sub->add_option("-p,--prompt", o->prompt, "prompt text");
  sub->add_option("-n,--n-predict", o->n_predict, "tokens to generate (default 128)");
  sub->add_option("-c,--ctx-size", o->ctx_size, "context size (default: prompt + n, capped at the model's maximum)");
  sub->add_option("--temp", o->temperature, "temperature; 0 = greedy (default 0.8)");
  sub->add_option("--top-p", o->top_p, "nucleus sampling mass (default 0.95)");
  sub->add_option("--top-k", o->top_k, "keep the k most likely tokens (default 40; 0 = all)");
  sub->add_option("-s,--seed", o->seed, "sampling seed (default 0)");
  sub->add_option("--tokenizer", o->tokenizer, "tokenizer file (llama2.c tokenizer.bin, tokenizer.json or .model)");
  sub->add_flag("--ignore-eos", o->ignore_eos, "keep generating past end-of-sequence");
  sub->add_flag("--json", o->json, "print one JSON object instead of streaming");
  AddComputeOptions(sub, &o->compute);
  return [o] { return Run(*o); };
});

}  // namespace
}  // namespace mixq::cli
