// The forward pass against an independent, deliberately naive double-precision implementation
// written from the Hugging Face modelling code's definitions (rotate_half, repeat_kv, per-head
// q/k norm, llama3 inverse-frequency scaling). Random small models cover the architecture
// variants no shared model exercises: Qwen2 q/k/v biases, Qwen3 q/k norm with an explicit
// head_dim, both RoPE layouts, tied and untied heads.
#include <gtest/gtest.h>

#include <cmath>

#include "mixq/base/rng.h"
#include "mixq/model/model.h"

namespace mixq {
namespace {

using Vec = std::vector<double>;

struct RandomModel {
  std::shared_ptr<LoadedModel> files = std::make_shared<LoadedModel>();
  std::map<std::string, std::vector<float>> values;

  void Add(const std::string& name, std::vector<int64_t> shape, Rng& rng, float scale, float offset = 0.0f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    auto data = std::make_shared<std::vector<float>>(static_cast<size_t>(n));
    for (float& v : *data) v = offset + scale * rng.Normal();
    values[name] = *data;
    files->tensors.Add({name, DType::kF32, shape, data->data(), data->size() * sizeof(float)});
    files->tensors.KeepAlive(data);
  }
};

RandomModel MakeModel(const ModelConfig& c, uint64_t seed) {
  RandomModel m;
  m.files->path = "random";
  m.files->config = c;
  Rng rng(seed);
  m.Add("token_embd.weight", {c.vocab_size, c.dim}, rng, 1.0f);
  if (!c.tied_embeddings) m.Add("output.weight", {c.vocab_size, c.dim}, rng, 0.2f);
  m.Add("output_norm.weight", {c.dim}, rng, 0.1f, 1.0f);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    auto n = [l](const char* s) { return LayerTensorName(l, s); };
    m.Add(n("attn_norm.weight"), {c.dim}, rng, 0.1f, 1.0f);
    m.Add(n("ffn_norm.weight"), {c.dim}, rng, 0.1f, 1.0f);
    m.Add(n("attn_q.weight"), {c.q_dim(), c.dim}, rng, 0.3f);
    m.Add(n("attn_k.weight"), {c.kv_dim(), c.dim}, rng, 0.3f);
    m.Add(n("attn_v.weight"), {c.kv_dim(), c.dim}, rng, 0.3f);
    m.Add(n("attn_output.weight"), {c.dim, c.q_dim()}, rng, 0.2f);
    m.Add(n("ffn_gate.weight"), {c.hidden_dim, c.dim}, rng, 0.2f);
    m.Add(n("ffn_up.weight"), {c.hidden_dim, c.dim}, rng, 0.2f);
    m.Add(n("ffn_down.weight"), {c.dim, c.hidden_dim}, rng, 0.2f);
    if (c.qkv_bias) {
      m.Add(n("attn_q.bias"), {c.q_dim()}, rng, 0.5f);
      m.Add(n("attn_k.bias"), {c.kv_dim()}, rng, 0.5f);
      m.Add(n("attn_v.bias"), {c.kv_dim()}, rng, 0.5f);
    }
    if (c.qk_norm) {
      m.Add(n("attn_q_norm.weight"), {c.head_dim}, rng, 0.1f, 1.0f);
      m.Add(n("attn_k_norm.weight"), {c.head_dim}, rng, 0.1f, 1.0f);
    }
  }
  return m;
}

// ---- the naive reference ----
Vec Linear(const std::vector<float>& w, const Vec& x, int64_t out) {
  const int64_t in = static_cast<int64_t>(x.size());
  Vec y(static_cast<size_t>(out), 0.0);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t c = 0; c < in; ++c) y[r] += w[r * in + c] * x[c];
  return y;
}
Vec Rms(const Vec& x, const std::vector<float>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / x.size() + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
  return y;
}
Vec InvFreq(const ModelConfig& c) {
  Vec f;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    double v = 1.0 / std::pow(c.rope_theta, static_cast<double>(i) / c.head_dim);
    if (c.rope_scaling.enabled) {
      const auto& s = c.rope_scaling;
      const double wavelen = 2 * M_PI / v, old = s.original_max_position_embeddings;
      if (wavelen > old / s.low_freq_factor) {
        v /= s.factor;
      } else if (wavelen >= old / s.high_freq_factor) {
        const double smooth = (old / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        v = (1 - smooth) * v / s.factor + smooth * v;
      }
    }
    f.push_back(v);
  }
  return f;
}
void Rotate(double* h, const ModelConfig& c, int64_t pos) {
  const Vec f = InvFreq(c);
  const int64_t half = c.head_dim / 2;
  Vec out(h, h + c.head_dim);
  for (int64_t i = 0; i < c.head_dim; ++i) {
    if (c.rope_layout == RopeLayout::kHalf) {  // q*cos + rotate_half(q)*sin
      const double a = pos * f[i % half];
      const double rotated = i < half ? -h[i + half] : h[i - half];
      out[i] = h[i] * std::cos(a) + rotated * std::sin(a);
    } else {  // (x0 + i x1) * e^{i a}
      const double a = pos * f[i / 2];
      out[i] = i % 2 == 0 ? h[i] * std::cos(a) - h[i + 1] * std::sin(a) : h[i - 1] * std::sin(a) + h[i] * std::cos(a);
    }
  }
  std::copy(out.begin(), out.end(), h);
}

std::vector<Vec> ReferenceLogits(const RandomModel& m, const std::vector<int32_t>& ids) {
  const ModelConfig& c = m.files->config;
  auto W = [&](const std::string& name) -> const std::vector<float>& { return m.values.at(name); };
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<Vec> x(n);
  for (int64_t t = 0; t < n; ++t) {
    const auto& e = W("token_embd.weight");
    x[t].assign(e.begin() + ids[t] * c.dim, e.begin() + (ids[t] + 1) * c.dim);
  }
  for (int64_t l = 0; l < c.n_layers; ++l) {
    auto name = [l](const char* s) { return LayerTensorName(l, s); };
    std::vector<Vec> q(n), k(n), v(n);
    for (int64_t t = 0; t < n; ++t) {
      const Vec h = Rms(x[t], W(name("attn_norm.weight")), c.norm_eps);
      q[t] = Linear(W(name("attn_q.weight")), h, c.q_dim());
      k[t] = Linear(W(name("attn_k.weight")), h, c.kv_dim());
      v[t] = Linear(W(name("attn_v.weight")), h, c.kv_dim());
      if (c.qkv_bias) {
        for (int64_t i = 0; i < c.q_dim(); ++i) q[t][i] += W(name("attn_q.bias"))[i];
        for (int64_t i = 0; i < c.kv_dim(); ++i) k[t][i] += W(name("attn_k.bias"))[i], v[t][i] += W(name("attn_v.bias"))[i];
      }
      for (int64_t hh = 0; hh < c.n_heads; ++hh) {
        double* head = q[t].data() + hh * c.head_dim;
        if (c.qk_norm) {
          Vec r = Rms(Vec(head, head + c.head_dim), W(name("attn_q_norm.weight")), c.norm_eps);
          std::copy(r.begin(), r.end(), head);
        }
        Rotate(head, c, t);
      }
      for (int64_t hh = 0; hh < c.n_kv_heads; ++hh) {
        double* head = k[t].data() + hh * c.head_dim;
        if (c.qk_norm) {
          Vec r = Rms(Vec(head, head + c.head_dim), W(name("attn_k_norm.weight")), c.norm_eps);
          std::copy(r.begin(), r.end(), head);
        }
        Rotate(head, c, t);
      }
    }
    for (int64_t t = 0; t < n; ++t) {
      Vec att(static_cast<size_t>(c.q_dim()), 0.0);
      for (int64_t hh = 0; hh < c.n_heads; ++hh) {
        const int64_t kvh = hh / (c.n_heads / c.n_kv_heads);  // repeat_kv
        Vec s(static_cast<size_t>(t + 1));
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j <= t; ++j) {
          double d = 0;
          for (int64_t i = 0; i < c.head_dim; ++i) d += q[t][hh * c.head_dim + i] * k[j][kvh * c.head_dim + i];
          s[j] = d / std::sqrt(static_cast<double>(c.head_dim));
          mx = std::max(mx, s[j]);
        }
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= t; ++j)
          for (int64_t i = 0; i < c.head_dim; ++i) att[hh * c.head_dim + i] += s[j] / sum * v[j][kvh * c.head_dim + i];
      }
      const Vec o = Linear(W(name("attn_output.weight")), att, c.dim);
      for (int64_t i = 0; i < c.dim; ++i) x[t][i] += o[i];
      const Vec h = Rms(x[t], W(name("ffn_norm.weight")), c.norm_eps);
      Vec g = Linear(W(name("ffn_gate.weight")), h, c.hidden_dim);
      const Vec u = Linear(W(name("ffn_up.weight")), h, c.hidden_dim);
      for (int64_t i = 0; i < c.hidden_dim; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      const Vec d = Linear(W(name("ffn_down.weight")), g, c.dim);
      for (int64_t i = 0; i < c.dim; ++i) x[t][i] += d[i];
    }
  }
  std::vector<Vec> logits(n);
  for (int64_t t = 0; t < n; ++t)
    logits[t] = Linear(W(c.tied_embeddings ? "token_embd.weight" : "output.weight"),
                       Rms(x[t], W("output_norm.weight"), c.norm_eps), c.vocab_size);
  return logits;
}

ModelConfig SmallConfig() {
  ModelConfig c;
  c.dim = 48;
  c.hidden_dim = 80;
  c.n_layers = 2;
  c.n_heads = 6;
  c.n_kv_heads = 2;
  c.head_dim = 8;
  c.vocab_size = 64;
  c.max_seq_len = 64;
  c.rope_theta = 10000.0f;
  return c;
}

void ExpectMatchesReference(const ModelConfig& config) {
  RandomModel m = MakeModel(config, 11);
  auto model = Model::FromFiles(m.files);
  ASSERT_TRUE(model.ok()) << model.message();
  const std::vector<int32_t> ids = {1, 5, 9, 33, 2, 63, 17, 40, 8, 8, 21, 0};
  const auto expected = ReferenceLogits(m, ids);
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (!IsaSupported(isa)) continue;
    Context ctx;
    ctx.isa = isa;
    InferenceSession session(*model, 32);
    ASSERT_TRUE(session.Decode(ctx, ids, true).ok());
    for (size_t t = 0; t < ids.size(); ++t)
      for (int64_t v = 0; v < config.vocab_size; ++v)
        ASSERT_NEAR(session.logits(static_cast<int64_t>(t))[v], expected[t][v], 1e-4 * (1 + std::fabs(expected[t][v])))
            << IsaName(isa) << " pos " << t << " token " << v;
  }
}

TEST(ReferenceForward, LlamaRotateHalfUntied) { ExpectMatchesReference(SmallConfig()); }

TEST(ReferenceForward, LlamaInterleavedTied) {
  ModelConfig c = SmallConfig();
  c.rope_layout = RopeLayout::kInterleaved;
  c.tied_embeddings = true;
  ExpectMatchesReference(c);
}

TEST(ReferenceForward, Qwen2Biases) {
  ModelConfig c = SmallConfig();
  c.arch = Architecture::kQwen2;
  c.qkv_bias = true;
  c.tied_embeddings = true;
  c.rope_theta = 1e6f;
  ExpectMatchesReference(c);
}

TEST(ReferenceForward, Qwen3QkNormExplicitHeadDim) {
  ModelConfig c = SmallConfig();
  c.arch = Architecture::kQwen3;
  c.qk_norm = true;
  c.head_dim = 16;  // q_dim 96 != dim 48
  ExpectMatchesReference(c);
}

TEST(ReferenceForward, Llama3RopeScaling) {
  ModelConfig c = SmallConfig();
  c.head_dim = 32;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.rope_theta = 500000.0f;
  c.rope_scaling = {true, 8.0f, 1.0f, 4.0f, 64};  // short original context so all three bands occur
  ExpectMatchesReference(c);
}

}  // namespace
}  // namespace mixq
