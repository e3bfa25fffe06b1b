#include "mixq/model/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mixq/base/parallel.h"
#include "mixq/kernels/attention.h"
#include "mixq/kernels/matmul.h"
#include "mixq/model/ops.h"
#include "mixq/model/weights.h"

namespace mixq {

Result<std::shared_ptr<Model>> Model::Load(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> files, LoadModelFiles(path));
  return FromFiles(std::move(files));
}

Result<std::shared_ptr<Model>> Model::FromFiles(std::shared_ptr<const LoadedModel> files) {
  MIXQ_ASSIGN_OR_RETURN(ModelWeights weights, PrepareWeights(*files));
  std::shared_ptr<Model> model(new Model());
  model->files_ = std::move(files);
  model->weights_ = std::make_unique<ModelWeights>(std::move(weights));
  return model;
}

Model::~Model() = default;

const ModelConfig& Model::config() const { return files_->config; }

// Activations for one Decode call of n tokens (grown on demand, reused across calls).
struct InferenceSession::Scratch {
  int64_t capacity = 0;
  std::vector<float> x;        // (n, dim) residual stream
  std::vector<float> xn;       // (n, dim) normalised input of a block
  std::vector<float> q;        // (n, q_dim)
  std::vector<float> k;        // (n, kv_dim)
  std::vector<float> v;        // (n, kv_dim)
  std::vector<float> att;      // (n, q_dim) attention output before Wo
  std::vector<float> gate;     // (n, hidden_dim)
  std::vector<float> up;       // (n, hidden_dim)
  std::vector<float> proj;     // (n, dim) output of Wo / Wdown
  std::vector<float> cos_sin;  // (n, head_dim) RoPE (cos, sin) pairs per position

  void Reserve(const ModelConfig& c, int64_t n) {
    if (n <= capacity) return;
    capacity = n;
    auto size = [n](std::vector<float>& buf, int64_t width) { buf.assign(static_cast<size_t>(n * width), 0.0f); };
    size(x, c.dim);
    size(xn, c.dim);
    size(q, c.q_dim());
    size(k, c.kv_dim());
    size(v, c.kv_dim());
    size(att, c.q_dim());
    size(gate, c.hidden_dim);
    size(up, c.hidden_dim);
    size(proj, c.dim);
    size(cos_sin, c.head_dim);
  }
};

InferenceSession::InferenceSession(std::shared_ptr<const Model> model, int64_t max_tokens)
    : model_(std::move(model)), max_tokens_(max_tokens), scratch_(std::make_unique<Scratch>()) {
  const ModelConfig& c = model_->config();
  const size_t cache = static_cast<size_t>(c.n_layers * max_tokens_ * c.kv_dim());
  k_cache_.assign(cache, 0.0f);
  v_cache_.assign(cache, 0.0f);
}

InferenceSession::~InferenceSession() = default;

const float* InferenceSession::logits(int64_t i) const {
  MIXQ_CHECK(i >= 0 && i < n_logits_);
  return logits_.data() + i * model_->config().vocab_size;
}

void InferenceSession::Project(const Context& ctx, std::initializer_list<const WeightMatrix*> ws, const float* x,
                               int64_t n, std::initializer_list<float*> ys) const {
  if (observer_)
    for (const WeightMatrix* w : ws)
      if (w->name != nullptr) observer_(*w->name, x, n, w->cols);
  MatMulShared(ctx, std::span<const WeightMatrix* const>(ws.begin(), ws.size()), x, n,
               std::span<float* const>(ys.begin(), ys.size()));
}

namespace {

void AddBias(float* rows, const std::vector<float>& bias, int64_t n) {
  const int64_t width = static_cast<int64_t>(bias.size());
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < width; ++i) rows[t * width + i] += bias[i];
}

// Per-head RMSNorm (Qwen3) and RoPE of n rows of `heads` heads each.
void NormAndRotate(float* rows, int64_t n, int64_t heads, const ModelConfig& c, const std::vector<float>& norm,
                   const float* cos_sin) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t h = 0; h < heads; ++h) {
      float* head = rows + (t * heads + h) * c.head_dim;
      if (!norm.empty()) RmsNorm(head, norm.data(), c.head_dim, c.norm_eps, head);
      ApplyRope(head, c.head_dim, cos_sin + t * c.head_dim, c.rope_layout);
    }
}

}  // namespace

Status InferenceSession::Decode(const Context& ctx, const std::vector<int32_t>& tokens, bool all_logits) {
  const ModelConfig& c = model_->config();
  const ModelWeights& w = model_->weights();
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return Err("[decode] no tokens to evaluate");
  if (n_past_ + n > max_tokens_)
    return Err("[decode] context full: {} cached + {} new tokens exceed the session's {} positions", n_past_, n,
               max_tokens_);
  for (int32_t tok : tokens)
    if (tok < 0 || tok >= c.vocab_size) return Err("[decode] token id {} outside the vocabulary [0, {})", tok, c.vocab_size);

  Scratch& s = *scratch_;
  s.Reserve(c, n);
  const int64_t dim = c.dim, q_dim = c.q_dim(), kv_dim = c.kv_dim(), hd = c.head_dim;
  for (int64_t t = 0; t < n; ++t) {
    DequantizeRow(w.token_embd, tokens[t], s.x.data() + t * dim);
    RopeAngles(n_past_ + t, w.rope_inv_freq.data(), hd / 2, s.cos_sin.data() + t * hd);
  }

  const int64_t group = c.n_heads / c.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    float* k_layer = k_cache_.data() + l * max_tokens_ * kv_dim;  // (max_tokens, kv_dim)
    float* v_layer = v_cache_.data() + l * max_tokens_ * kv_dim;

    for (int64_t t = 0; t < n; ++t) RmsNorm(s.x.data() + t * dim, lw.attn_norm.data(), dim, c.norm_eps, s.xn.data() + t * dim);
    Project(ctx, {&lw.wq, &lw.wk, &lw.wv}, s.xn.data(), n, {s.q.data(), s.k.data(), s.v.data()});
    if (c.qkv_bias) {
      AddBias(s.q.data(), lw.q_bias, n);
      AddBias(s.k.data(), lw.k_bias, n);
      AddBias(s.v.data(), lw.v_bias, n);
    }
    NormAndRotate(s.q.data(), n, c.n_heads, c, lw.q_norm, s.cos_sin.data());
    NormAndRotate(s.k.data(), n, c.n_kv_heads, c, lw.k_norm, s.cos_sin.data());
    std::memcpy(k_layer + n_past_ * kv_dim, s.k.data(), static_cast<size_t>(n * kv_dim) * sizeof(float));
    std::memcpy(v_layer + n_past_ * kv_dim, s.v.data(), static_cast<size_t>(n * kv_dim) * sizeof(float));

    // Causal attention, one (token, head) pair per work item: token t sees positions <= n_past + t.
    ParallelFor(ctx, n * c.n_heads, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scores(static_cast<size_t>(n_past_ + n));
      for (int64_t item = begin; item < end; ++item) {
        const int64_t t = item / c.n_heads, h = item % c.n_heads, kv_head = h / group;
        const int64_t span = n_past_ + t + 1;
        const float* q = s.q.data() + t * q_dim + h * hd;
        Attend(ctx.isa, q, k_layer + kv_head * hd, v_layer + kv_head * hd, span, kv_dim, hd, scale, scores.data(),
               s.att.data() + t * q_dim + h * hd);
      }
    });
    Project(ctx, {&lw.wo}, s.att.data(), n, {s.proj.data()});
    for (int64_t i = 0; i < n * dim; ++i) s.x[i] += s.proj[i];

    for (int64_t t = 0; t < n; ++t) RmsNorm(s.x.data() + t * dim, lw.ffn_norm.data(), dim, c.norm_eps, s.xn.data() + t * dim);
    Project(ctx, {&lw.w_gate, &lw.w_up}, s.xn.data(), n, {s.gate.data(), s.up.data()});
    // Elementwise (each output a function of its own gate and up only), so the threads share
    // it in 1024-element ranges and the split cannot change a result.
    ParallelFor(ctx, n * c.hidden_dim, 1024, [&](int64_t begin, int64_t end) {
      SiluMulF32(ctx.isa, s.gate.data() + begin, s.up.data() + begin, end - begin);
    });
    Project(ctx, {&lw.w_down}, s.gate.data(), n, {s.proj.data()});
    for (int64_t i = 0; i < n * dim; ++i) s.x[i] += s.proj[i];
  }

  const int64_t first = all_logits ? 0 : n - 1;
  n_logits_ = n - first;
  for (int64_t t = first; t < n; ++t)
    RmsNorm(s.x.data() + t * dim, w.output_norm.data(), dim, c.norm_eps, s.xn.data() + (t - first) * dim);
  logits_.resize(static_cast<size_t>(n_logits_ * c.vocab_size));
  Project(ctx, {&w.output}, s.xn.data(), n_logits_, {logits_.data()});
  n_past_ += n;
  return Status::Ok();
}

}  // namespace mixq
