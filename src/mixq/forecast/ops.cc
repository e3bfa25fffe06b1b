#include "mixq/forecast/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mixq::forecast {
namespace {

// Builds the op list of one pass. All counts are doubles: a 70B model's pass exceeds 2^53
// bytes only in absurd workloads, and the roofline divides them anyway.
class PassBuilder {
 public:
  PassBuilder(const ModelSpec& model, const ExecutionSpec& exec, const PassShape& shape)
      : c_(model.config), model_(model), fusion_(exec.fusion), kv_per_query_head_(exec.kv_per_query_head),
        token_block_(exec.token_block), shape_(shape) {
    act_ = BytesPerElement(exec.activation_type);
    kv_ = BytesPerElement(model.kv_type);
    const double t = static_cast<double>(shape.tokens), p = static_cast<double>(shape.past);
    batch_ = static_cast<double>(shape.batch);
    rows_ = t * batch_;
    // Causal attention: new token i sees p + i + 1 positions; summed over the pass's tokens.
    sum_ctx_ = t * p + t * (t + 1) / 2;
    ctx_end_ = p + t;
  }

  std::vector<Op> Build() {
    Embedding();
    for (int64_t l = 0; l < c_.n_layers; ++l) {
      Attention(l);
      Ffn(l);
    }
    Head();
    return std::move(ops_);
  }

 private:
  Op& Add(const char* group, int64_t layer, OpClass op_class) {
    Op& op = ops_.emplace_back();
    op.group = group;
    op.layer = layer;
    op.op_class = op_class;
    return op;
  }

  // RMSNorm over `rows` rows of `width`: x^2, accumulate, scale by 1/rms, multiply by the
  // weight = 4 FLOPs per element. With norm fusion the normalised rows are never written.
  void Norm(const char* group, int64_t layer, const std::string& weight, double width, double rows) {
    Op& op = Add(group, layer, OpClass::kElementwise);
    op.flops = 4 * width * rows;
    op.weight_bytes = width * BytesPerElement(model_.weights.TypeOf(weight));
    op.act_bytes = rows * width * act_ * (fusion_.norm ? 1 : 2);
    op.launches = fusion_.norm ? 0 : 1;
  }

  // y{rows, out} = x{rows, in} . W^T (+ bias). `read_input`/`write_output` are false when a
  // fused neighbour already holds the activation on chip.
  void Matmul(const char* group, int64_t layer, double in, double out, double rows, bool read_input,
              bool write_output, bool fused_launch) {
    const std::string weight = layer >= 0 ? LayerTensorName(layer, (std::string(group) + ".weight").c_str())
                                          : std::string(group) + ".weight";
    MatmulOn(group, layer, weight, in, out, rows, read_input, write_output, fused_launch);
    if (layer >= 0) Lora(group, layer, in, out);
  }

  void MatmulOn(const char* group, int64_t layer, const std::string& weight, double in, double out, double rows,
                bool read_input, bool write_output, bool fused_launch) {
    Op& op = Add(group, layer, OpClass::kMatmul);
    const DType type = model_.weights.TypeOf(weight);
    op.weight_type = type;
    op.flops = 2 * rows * in * out;
    op.weight_bytes = in * out * BytesPerElement(type);
    if (token_block_ > 0) op.reread_bytes = (std::ceil(rows / static_cast<double>(token_block_)) - 1) * op.weight_bytes;
    op.act_bytes = (read_input ? rows * in * act_ : 0) + (write_output ? rows * out * act_ : 0);
    op.launches = fused_launch ? 0 : 1;
    op.outputs = rows * out;
    op.act_elements = rows * in;
    const bool has_bias = c_.qkv_bias && layer >= 0 &&
                          (!std::strcmp(group, "attn_q") || !std::strcmp(group, "attn_k") || !std::strcmp(group, "attn_v"));
    if (has_bias) {
      op.flops += rows * out;
      op.weight_bytes += out * BytesPerElement(model_.weights.TypeOf(LayerTensorName(layer, (std::string(group) + ".bias").c_str())));
    }
  }

  // Unmerged adapter on a projection: t = A x {rows, r}, y += B t {rows, out}.
  void Lora(const char* group, int64_t layer, double in, double out) {
    const LoraSpec& lora = model_.lora;
    if (lora.rank <= 0 || std::find(lora.targets.begin(), lora.targets.end(), group) == lora.targets.end()) return;
    const double r = static_cast<double>(lora.rank);
    Op& op = Add("lora", layer, OpClass::kMatmul);
    op.weight_type = lora.type;
    op.flops = 2 * rows_ * r * (in + out) + rows_ * out;  // two products and the add into y
    op.weight_bytes = r * (in + out) * BytesPerElement(lora.type);
    // x read again, t written and read back, y read and written for the accumulation.
    op.act_bytes = rows_ * (in + 2 * r + 2 * out) * act_;
    op.launches = 2;
  }

  void Elementwise(const char* group, int64_t layer, double flops, double act_bytes, bool fused) {
    Op& op = Add(group, layer, OpClass::kElementwise);
    op.flops = flops;
    op.act_bytes = act_bytes;
    op.launches = fused ? 0 : 1;
  }

  void Embedding() {
    // A lookup reads only the rows of the tokens in the pass.
    Op& op = Add("token_embd", -1, OpClass::kData);
    op.weight_type = model_.weights.TypeOf("token_embd.weight");
    op.weight_bytes = rows_ * c_.dim * BytesPerElement(*op.weight_type);
    op.act_bytes = rows_ * c_.dim * act_;
  }

  void Attention(int64_t l) {
    const double dim = c_.dim, qd = c_.q_dim(), kvd = c_.kv_dim(), hd = c_.head_dim;
    const double nh = c_.n_heads, nkv = c_.n_kv_heads;
    Norm("attn_norm", l, LayerTensorName(l, "attn_norm.weight"), dim, rows_);
    Matmul("attn_q", l, dim, qd, rows_, true, true, false);
    Matmul("attn_k", l, dim, kvd, rows_, !fusion_.qkv, true, fusion_.qkv);
    Matmul("attn_v", l, dim, kvd, rows_, !fusion_.qkv, true, fusion_.qkv);
    if (c_.qk_norm) {
      Op& op = Add("qk_norm", l, OpClass::kElementwise);
      op.flops = 4 * hd * (nh + nkv) * rows_;
      op.weight_bytes = 2 * hd * BytesPerElement(model_.weights.TypeOf(LayerTensorName(l, "attn_q_norm.weight")));
      op.act_bytes = 2 * rows_ * (qd + kvd) * act_;
    }
    // RoPE rotates pairs: 4 multiplies + 2 adds per pair = 3 FLOPs per element (tables cached).
    Elementwise("rope", l, 3 * rows_ * (qd + kvd), 2 * rows_ * (qd + kvd) * act_, false);
    Op& store = Add("kv_write", l, OpClass::kData);
    store.act_bytes = rows_ * 2 * kvd * act_;
    store.kv_bytes = rows_ * 2 * kvd * kv_;

    const double scores = batch_ * nh * sum_ctx_;  // score elements over the pass
    // K (or V) of every sequence, once (or once per query head: q_dim = n_heads x head_dim).
    const double kv_read = batch_ * ctx_end_ * (kv_per_query_head_ ? qd : kvd) * kv_;
    const bool flash = fusion_.flash_attention;
    Op& qk = Add("attn_scores", l, OpClass::kAttention);
    qk.flops = 2 * hd * scores;
    qk.kv_bytes = kv_read;
    qk.act_bytes = rows_ * qd * act_ + (flash ? 0 : scores * act_);
    qk.decode = shape_.tokens == 1;
    // Scale, running max, exp, sum, normalise: 5 FLOPs per score.
    Elementwise("softmax", l, 5 * scores, flash ? 0 : 2 * scores * act_, flash);
    Op& pv = Add("attn_values", l, OpClass::kAttention);
    pv.flops = 2 * hd * scores;
    pv.kv_bytes = kv_read;
    pv.act_bytes = (flash ? 0 : scores * act_) + rows_ * qd * act_;
    pv.launches = flash ? 0 : 1;
    pv.decode = shape_.tokens == 1;

    Matmul("attn_output", l, qd, dim, rows_, true, true, false);
    Elementwise("residual", l, rows_ * dim, 3 * rows_ * dim * act_, false);
  }

  void Ffn(int64_t l) {
    const double dim = c_.dim, hid = c_.hidden_dim;
    const bool fused = fusion_.swiglu;
    Norm("ffn_norm", l, LayerTensorName(l, "ffn_norm.weight"), dim, rows_);
    Matmul("ffn_gate", l, dim, hid, rows_, true, !fused, false);
    Matmul("ffn_up", l, dim, hid, rows_, !fused, !fused, fused);
    // silu(g) * u = g / (1 + exp(-g)) * u: negate, exp, add, divide, multiply.
    Elementwise("ffn_act", l, 5 * rows_ * hid, (fused ? 1 : 3) * rows_ * hid * act_, fused);
    Matmul("ffn_down", l, hid, dim, rows_, true, true, false);
    Elementwise("residual", l, rows_ * dim, 3 * rows_ * dim * act_, false);
  }

  void Head() {
    const double rows = batch_ * static_cast<double>(shape_.logits_per_seq);
    MIXQ_CHECK(!shape_.sample || rows > 0);  // sampling needs logits
    if (rows > 0) {
      Norm("output_norm", -1, "output_norm.weight", c_.dim, rows);
      const std::string weight = c_.tied_embeddings ? "token_embd.weight" : "output.weight";
      MatmulOn("output", -1, weight, c_.dim, c_.vocab_size, rows, true, true, false);
    }
    // Softmax with temperature over the last logits row of each sequence, then the draw.
    if (shape_.sample) Elementwise("sample", -1, 3 * batch_ * c_.vocab_size, batch_ * c_.vocab_size * act_, false);
  }

  const ModelConfig& c_;
  const ModelSpec& model_;
  const Fusion fusion_;
  const bool kv_per_query_head_;
  const int64_t token_block_;
  const PassShape shape_;
  double act_ = 4, kv_ = 2, batch_ = 1, rows_ = 1, sum_ctx_ = 1, ctx_end_ = 1;
  std::vector<Op> ops_;
};

constexpr const char* kClassNames[kNumOpClasses] = {"matmul", "attention", "elementwise", "data"};

}  // namespace

const char* OpClassName(OpClass op_class) { return kClassNames[static_cast<int>(op_class)]; }

std::optional<OpClass> ParseOpClass(const std::string& name) {
  for (int i = 0; i < kNumOpClasses; ++i)
    if (name == kClassNames[i]) return static_cast<OpClass>(i);
  return std::nullopt;
}

std::vector<Op> BuildPassOps(const ModelSpec& model, const ExecutionSpec& exec, const PassShape& shape) {
  return PassBuilder(model, exec, shape).Build();
}

}  // namespace mixq::forecast
