#include "mixq/forecast/memory.h"

#include <algorithm>

namespace mixq::forecast {
namespace {

// Input and output widths of a projection.
std::pair<double, double> ProjectionShape(const ModelConfig& c, const std::string& name) {
  if (name == "attn_q") return {double(c.dim), double(c.q_dim())};
  if (name == "attn_k" || name == "attn_v") return {double(c.dim), double(c.kv_dim())};
  if (name == "attn_output") return {double(c.q_dim()), double(c.dim)};
  if (name == "ffn_down") return {double(c.hidden_dim), double(c.dim)};
  return {double(c.dim), double(c.hidden_dim)};  // ffn_gate, ffn_up
}

// Live activation elements of one pass: `rows` token rows attending to `ctx` positions.
double PassActivations(const ModelConfig& c, double rows, double tokens, double ctx, double batch,
                       double logits_rows, bool flash) {
  const double scores = flash ? 0 : batch * double(c.n_heads) * tokens * ctx;
  const double attention = rows * (2.0 * c.dim + 2.0 * c.q_dim() + 2.0 * c.kv_dim()) + scores;
  const double ffn = rows * (2.0 * c.dim + 3.0 * c.hidden_dim);
  const double logits = logits_rows * double(c.vocab_size);
  return std::max({attention, ffn, logits});
}

}  // namespace

double LoraBytes(const ModelSpec& model) {
  if (model.lora.rank <= 0) return 0;
  double per_layer = 0;
  for (const std::string& target : model.lora.targets) {
    auto [in, out] = ProjectionShape(model.config, target);
    per_layer += double(model.lora.rank) * (in + out);
  }
  return per_layer * double(model.config.n_layers) * BytesPerElement(model.lora.type);
}

MemoryEstimate EstimateMemory(const ModelSpec& model, const ExecutionSpec& exec, const Workload& w) {
  const ModelConfig& c = model.config;
  MemoryEstimate m;
  m.weights = WeightBytes(model.weights, c) + LoraBytes(model);
  const double context = double(w.context > 0 ? w.context : w.prompt + w.gen);
  const double batch = double(w.batch);
  m.kv_cache = 2.0 * double(c.n_layers) * double(c.kv_dim()) * batch * context * BytesPerElement(model.kv_type);
  const double chunk = double(w.chunk > 0 ? std::min(w.chunk, w.prompt) : w.prompt);
  const bool flash = exec.fusion.flash_attention;
  const double prefill = PassActivations(c, chunk * batch, chunk, double(w.prompt), batch,
                                         w.all_logits ? chunk * batch : batch, flash);
  const double decode = PassActivations(c, batch, 1, context, batch, batch, flash);
  m.activations = std::max(prefill, decode) * BytesPerElement(exec.activation_type);
  return m;
}

}  // namespace mixq::forecast
