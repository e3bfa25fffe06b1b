#include "mixq/io/llama2c.h"

#include <cstring>

#include "mixq/tensor/mapped_file.h"

namespace mixq {
namespace {

constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);
constexpr uint32_t kVersionedMagic = 0x616b3432;  // "ak42": llama2.c export versions 1 and 2

// f32 values after the header, in the order the arrays are stored. 128-bit so that no header,
// however absurd, can overflow before the comparison with the file size.
unsigned __int128 ExpectedFloats(const ModelConfig& c, bool shared_classifier) {
  using U = unsigned __int128;
  const U dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, kv = c.kv_dim(), vocab = c.vocab_size;
  U n = vocab * dim;                            // token_embedding
  n += layers * dim;                            // rms_att
  n += layers * dim * dim * 2;                  // wq, wo
  n += layers * kv * dim * 2;                   // wk, wv
  n += layers * dim;                            // rms_ffn
  n += layers * hidden * dim * 3;               // w1, w2, w3
  n += dim;                                     // rms_final
  n += static_cast<U>(c.max_seq_len) * c.head_dim;  // freq_cis_real + freq_cis_imag, (seq, head/2) each
  if (!shared_classifier) n += vocab * dim;     // wcls
  return n;
}

}  // namespace

Result<ModelConfig> ParseLlama2cHeader(const void* data, size_t file_size, const std::string& path) {
  if (file_size < kHeaderBytes)
    return Err("[llama2c] {}: file is {} bytes, too short for the {}-byte header", path, file_size, kHeaderBytes);
  int32_t h[7];
  std::memcpy(h, data, kHeaderBytes);
  if (static_cast<uint32_t>(h[0]) == kVersionedMagic)
    return Err("[llama2c] {}: versioned llama2.c export (magic 'ak42') is not supported; export with --version 0",
               path);
  const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i)
    if (h[i] <= 0 && !(i == 5 && h[i] < 0 && h[i] != INT32_MIN))
      return Err("[llama2c] {}: header field '{}' is {}; not a llama2.c checkpoint?", path, names[i], h[i]);
  ModelConfig c;
  c.arch = Architecture::kLlama;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.vocab_size = h[5] < 0 ? -static_cast<int64_t>(h[5]) : h[5];
  c.max_seq_len = h[6];
  c.tied_embeddings = h[5] > 0;
  c.rope_layout = RopeLayout::kInterleaved;
  c.rope_theta = 10000.0f;
  c.norm_eps = 1e-5f;
  c.bos_token_id = 1;
  c.eos_token_id = 2;
  if (c.dim % c.n_heads != 0)
    return Err("[llama2c] {}: header dim {} is not a multiple of n_heads {}", path, c.dim, c.n_heads);
  if (c.n_heads % c.n_kv_heads != 0)
    return Err("[llama2c] {}: header n_heads {} is not a multiple of n_kv_heads {}", path, c.n_heads, c.n_kv_heads);
  c.head_dim = c.dim / c.n_heads;
  if (c.head_dim % 2 != 0) return Err("[llama2c] {}: head size {} must be even for RoPE", path, c.head_dim);

  const unsigned __int128 expected = kHeaderBytes + ExpectedFloats(c, c.tied_embeddings) * sizeof(float);
  if (expected != file_size)
    return Err("[llama2c] {}: file size {} does not match the header (dim {}, hidden_dim {}, n_layers {}, n_heads {}, "
               "n_kv_heads {}, vocab_size {}, seq_len {}), which needs {} bytes",
               path, file_size, h[0], h[1], h[2], h[3], h[4], h[5], h[6],
               expected > UINT64_MAX ? std::string("more than 2^64") : std::to_string(static_cast<uint64_t>(expected)));
  return c;
}

Result<ModelConfig> ReadLlama2cConfig(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  return ParseLlama2cHeader(file->data(), file->size(), path);
}

Status LoadLlama2cModel(const std::string& path, LoadedModel* model) {
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  MIXQ_ASSIGN_OR_RETURN(const ModelConfig c, ParseLlama2cHeader(file->data(), file->size(), path));
  model->path = path;
  model->format = ModelFormat::kLlama2c;
  model->config = c;

  // The header check guarantees every array below lies inside the file.
  const float* cursor = reinterpret_cast<const float*>(file->data() + kHeaderBytes);
  TensorSet& set = model->tensors;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    Tensor t{std::move(name), DType::kF32, std::move(shape), cursor, 0};
    t.nbytes = static_cast<size_t>(t.numel()) * sizeof(float);
    cursor += t.numel();
    set.Add(std::move(t));
  };
  // Each stored array is (layer, ...): one canonical tensor per layer slice.
  auto add_layers = [&](const char* suffix, std::vector<int64_t> shape) {
    for (int64_t l = 0; l < c.n_layers; ++l) add(LayerTensorName(l, suffix), shape);
  };
  add("token_embd.weight", {c.vocab_size, c.dim});
  add_layers("attn_norm.weight", {c.dim});
  add_layers("attn_q.weight", {c.q_dim(), c.dim});
  add_layers("attn_k.weight", {c.kv_dim(), c.dim});
  add_layers("attn_v.weight", {c.kv_dim(), c.dim});
  add_layers("attn_output.weight", {c.dim, c.q_dim()});
  add_layers("ffn_norm.weight", {c.dim});
  add_layers("ffn_gate.weight", {c.hidden_dim, c.dim});  // w1
  add_layers("ffn_down.weight", {c.dim, c.hidden_dim});  // w2
  add_layers("ffn_up.weight", {c.hidden_dim, c.dim});    // w3
  add("output_norm.weight", {c.dim});
  cursor += c.max_seq_len * c.head_dim;  // freq_cis_real, freq_cis_imag
  if (!c.tied_embeddings) add("output.weight", {c.vocab_size, c.dim});
  set.KeepAlive(file);
  return Status::Ok();
}

}  // namespace mixq
