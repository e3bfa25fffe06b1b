// A loaded model's hyper-parameters as the GGUF metadata llama.cpp (b4748) reads, and the RoPE
// layout question that decides whether Q/K rows are permuted on the way out.
//
// Architecture names: llama and mistral -> "llama" (llama.cpp reads Mistral models as llama);
// qwen2 -> "qwen2"; qwen3 -> "qwen3". Keys written, for arch A (io/gguf_model.h reads them back):
//   general.architecture, general.name,
//   A.vocab_size, A.context_length, A.embedding_length, A.block_count, A.feed_forward_length,
//   A.rope.dimension_count (= head_dim), A.attention.head_count, A.attention.head_count_kv,
//   A.attention.key_length and A.attention.value_length (only when head_dim != dim / heads),
//   A.attention.layer_norm_rms_epsilon, A.rope.freq_base.
// general.file_type / general.quantization_version depend on the tensor types (LlamaFileType).
//
// RoPE: llama.cpp's "llama" architecture rotates adjacent pairs (2i, 2i+1) of each head
// (RopeLayout::kInterleaved); qwen2/qwen3 rotate (i, i + head_dim/2) (kHalf, "NeoX"). A
// Hugging Face llama checkpoint is kHalf, so its attn_q/attn_k rows are permuted within each
// head (gguf_export_tensors.h) to make the interleaved rotation compute the same thing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/gguf.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/dtype.h"

namespace mixq {

struct GgufArchExport {
  std::string arch;         // general.architecture
  bool permute_qk = false;  // attn_q/attn_k rows go from rotate-half to interleaved order
};

// Errors (naming `source`) for what a GGUF file cannot express to llama.cpp and mixq alike:
// llama3 RoPE scaling (llama.cpp needs a rope_freqs tensor mixq's loader refuses), and an
// interleaved qwen model (qwen2/qwen3 are always rotate-half).
Result<GgufArchExport> GgufExportArch(const ModelConfig& config, const std::string& source);

// The general.* and architecture keys above, in llama.cpp's converter order.
Result<std::vector<GgufKeyValue>> GgufModelMetadata(const ModelConfig& config, const std::string& name,
                                                    const std::string& source);

// Metadata of a GGUF source to carry into a re-quantized file: everything except the keys the
// writer or the new tensor types decide (general.alignment, general.file_type,
// general.quantization_version), as llama.cpp's quantize copies them.
std::vector<GgufKeyValue> GgufCarriedMetadata(const GgufFile& source);

// llama.cpp's general.file_type (LLAMA_FTYPE_*) for a file whose most common tensor type is
// `dominant`, the same table llama.cpp uses to guess a file type (llama-model-loader.cpp):
// q3_K -> Q3_K_M, q4_K -> Q4_K_M, q5_K -> Q5_K_M; nullopt for types llama.cpp has no ftype for.
std::optional<uint32_t> LlamaFileType(DType dominant);

// The rotate-half row that becomes row `row` of attn_q/attn_k in llama.cpp's interleaved
// layout. Within each head of head_dim rows, interleaved row 2i takes rotate-half row i and row
// 2i+1 takes row i + head_dim/2: the pair (i, i + head_dim/2) that Hugging Face rotates with
// frequency i lands on the adjacent rows (2i, 2i+1) that llama.cpp rotates with frequency i.
// The dot products q.k within a head are unchanged, since both sides move the same way.
// (llama.cpp's converter: w.reshape(heads, 2, head_dim/2, cols).swapaxes(1, 2).)
inline int64_t RotateHalfSourceRow(int64_t row, int64_t head_dim) {
  const int64_t head = row / head_dim, j = row % head_dim;
  return head * head_dim + (j % 2) * (head_dim / 2) + j / 2;
}

// ggml's GGML_QNT_VERSION, written as general.quantization_version when a tensor is quantized.
inline constexpr uint32_t kGgmlQuantizationVersion = 2;

}  // namespace mixq
