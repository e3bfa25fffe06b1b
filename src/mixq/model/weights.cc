#include "mixq/model/weights.h"

#include <cmath>
#include <cstring>

#include "mixq/tensor/mapped_file.h"

namespace mixq {
namespace {

Result<WeightMatrix> Matrix(const LoadedModel& files, const std::string& name) {
  const Tensor* t = files.tensors.Find(name);
  if (t == nullptr) return Err("[model] {}: missing tensor '{}'", files.path, name);
  if (t->shape.size() != 2) return Err("[model] {}: '{}' must be 2-D, has shape {}", files.path, name, ShapeToString(t->shape));
  if (!MatMulSupports(t->dtype))
    return Err("[model] {}: '{}' has type {}, which the CPU kernels do not run yet", files.path, name, DTypeName(t->dtype));
  return WeightMatrix::FromTensor(*t);
}

Result<std::vector<float>> Vector(const LoadedModel& files, const std::string& name, int64_t expected) {
  const Tensor* t = files.tensors.Find(name);
  if (t == nullptr) return Err("[model] {}: missing tensor '{}'", files.path, name);
  if (t->numel() != expected)
    return Err("[model] {}: '{}' has {} elements, expected {}", files.path, name, t->numel(), expected);
  if (!MatMulSupports(t->dtype))
    return Err("[model] {}: '{}' has type {}, expected f32, f16 or bf16", files.path, name, DTypeName(t->dtype));
  WeightMatrix row{t->dtype, 1, expected, t->data, t->nbytes};
  std::vector<float> out(static_cast<size_t>(expected));
  DequantizeRow(row, 0, out.data());
  return out;
}

void Pack(ModelWeights& w, WeightMatrix& m) {
  if (!PackedLayoutExists(m.type) || m.cols % 32 != 0) return;
  w.packed.push_back(PackMatrix(Context(), m));
  m.packed = w.packed.back().get();
  // The file's copy is now read only by the scalar kernels (--isa ref): let the kernel reclaim
  // it so the weights are not resident twice. A tied output head is also the embedding table,
  // whose rows every decode step reads: those pages stay.
  if (m.data != w.token_embd.data) MappedFile::ReleasePages(m.data, static_cast<size_t>(m.rows) * m.row_bytes);
}

// m's bytes copied into memory the model owns; the file's pages are released (see
// ModelWeights::dense_copies for why). Quantized matrices are left to Pack.
void CopyDense(ModelWeights& w, WeightMatrix& m) {
  if (GetDTypeInfo(m.type).quantized) return;
  const size_t bytes = static_cast<size_t>(m.rows) * m.row_bytes;
  std::shared_ptr<void> copy = AllocateAligned(bytes);
  if (copy == nullptr) return;  // no memory for a copy: keep streaming the mapping (slower, correct)
  std::memcpy(copy.get(), m.data, bytes);
  MappedFile::ReleasePages(m.data, bytes);
  m.data = copy.get();
  w.dense_copies.push_back(std::move(copy));
}

}  // namespace

std::vector<float> RopeInverseFrequencies(const ModelConfig& config) {
  const int64_t half = config.head_dim / 2;
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv[i] = static_cast<float>(1.0 / std::pow(static_cast<double>(config.rope_theta),
                                               static_cast<double>(2 * i) / static_cast<double>(config.head_dim)));
  const RopeScalingLlama3& s = config.rope_scaling;
  if (!s.enabled) return inv;
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = old_len / s.low_freq_factor, high_wavelen = old_len / s.high_freq_factor;
  for (float& f : inv) {
    const double wavelen = 2.0 * M_PI / f;
    if (wavelen < high_wavelen) continue;  // high frequencies unchanged
    if (wavelen > low_wavelen) {
      f = static_cast<float>(f / s.factor);  // low frequencies scaled down
      continue;
    }
    const double smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    f = static_cast<float>((1.0 - smooth) * f / s.factor + smooth * f);
  }
  return inv;
}

Result<ModelWeights> PrepareWeights(const LoadedModel& files) {
  const ModelConfig& c = files.config;
  ModelWeights w;
  MIXQ_ASSIGN_OR_RETURN(w.token_embd, Matrix(files, "token_embd.weight"));
  if (c.tied_embeddings) {
    w.output = w.token_embd;
  } else {
    MIXQ_ASSIGN_OR_RETURN(w.output, Matrix(files, "output.weight"));
  }
  MIXQ_ASSIGN_OR_RETURN(w.output_norm, Vector(files, "output_norm.weight", c.dim));
  w.layers.resize(static_cast<size_t>(c.n_layers));
  for (int64_t l = 0; l < c.n_layers; ++l) {
    LayerWeights& lw = w.layers[l];
    auto name = [l](const char* suffix) { return LayerTensorName(l, suffix); };
    MIXQ_ASSIGN_OR_RETURN(lw.attn_norm, Vector(files, name("attn_norm.weight"), c.dim));
    MIXQ_ASSIGN_OR_RETURN(lw.ffn_norm, Vector(files, name("ffn_norm.weight"), c.dim));
    MIXQ_ASSIGN_OR_RETURN(lw.wq, Matrix(files, name("attn_q.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.wk, Matrix(files, name("attn_k.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.wv, Matrix(files, name("attn_v.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.wo, Matrix(files, name("attn_output.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.w_gate, Matrix(files, name("ffn_gate.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.w_up, Matrix(files, name("ffn_up.weight")));
    MIXQ_ASSIGN_OR_RETURN(lw.w_down, Matrix(files, name("ffn_down.weight")));
    if (c.qkv_bias) {
      MIXQ_ASSIGN_OR_RETURN(lw.q_bias, Vector(files, name("attn_q.bias"), c.q_dim()));
      MIXQ_ASSIGN_OR_RETURN(lw.k_bias, Vector(files, name("attn_k.bias"), c.kv_dim()));
      MIXQ_ASSIGN_OR_RETURN(lw.v_bias, Vector(files, name("attn_v.bias"), c.kv_dim()));
    }
    if (c.qk_norm) {
      MIXQ_ASSIGN_OR_RETURN(lw.q_norm, Vector(files, name("attn_q_norm.weight"), c.head_dim));
      MIXQ_ASSIGN_OR_RETURN(lw.k_norm, Vector(files, name("attn_k_norm.weight"), c.head_dim));
    }
  }
  w.rope_inv_freq = RopeInverseFrequencies(c);
  const bool tied = w.output.data == w.token_embd.data;
  CopyDense(w, w.token_embd);
  if (tied) w.output.data = w.token_embd.data;
  else CopyDense(w, w.output);
  for (LayerWeights& lw : w.layers)
    for (WeightMatrix* m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.w_gate, &lw.w_up, &lw.w_down}) CopyDense(w, *m);
  if (IsaSupported(Isa::kAvx2)) {
    Pack(w, w.output);
    for (LayerWeights& lw : w.layers)
      for (WeightMatrix* m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.w_gate, &lw.w_up, &lw.w_down}) Pack(w, *m);
  }
  return w;
}

}  // namespace mixq
