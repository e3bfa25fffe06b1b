// Synthetic models: a Hugging Face directory (config.json, model.safetensors, tokenizer.json)
// with deterministic random weights, so speed benchmarks and the README's default model need
// nothing downloaded. Weights (seeded per tensor from the seed and the tensor's name, so a
// tensor's values do not depend on the others):
//   matrices N(0, 0.02^2); attn_output and ffn_down further scaled by 1/sqrt(2 n_layers) so
//   the residual stream grows slowly with depth (GPT-2's init); biases N(0, 0.02^2);
//   RMSNorm weights 1.
// The tokenizer is a real byte-level BPE: 256 byte tokens (GPT-2 byte-to-unicode strings), no
// merges, the BOS/EOS special tokens at the config's ids, padded with unreachable
// "<extra_N>" tokens up to vocab_size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/dtype.h"

namespace mixq {

// Built-in shapes: "tiny", "smollm2-135m", "qwen2.5-0.5b", "qwen3-0.6b-llama".
std::vector<std::string> SynthShapeNames();
Result<ModelConfig> SynthShape(const std::string& name);

struct SynthOptions {
  uint64_t seed = 0;
  DType dtype = DType::kBF16;  // F32, F16 or BF16
  bool overwrite = false;      // replace an existing output directory
  // Called after each tensor is written: (tensors done, total, name); may be empty.
  std::function<void(size_t, size_t, const std::string&)> progress;
};

// Writes the directory to out_dir + ".tmp" and renames it onto out_dir when complete, so a
// crash never leaves a half-written model under the real name.
Status WriteSynthModel(const std::string& out_dir, const ModelConfig& config, const SynthOptions& options);

// The tokenizer.json text for `config` (vocab_size, bos/eos ids).
Result<std::string> SynthTokenizerJson(const ModelConfig& config);

}  // namespace mixq
