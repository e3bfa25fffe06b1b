// The tensors a ModelConfig requires, by canonical name and exact shape (see model_config.h),
// and the check that a loaded TensorSet provides them. Every loader runs it, so the forward
// pass can index weights without checking shapes again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/tensor.h"

namespace mixq {

struct ExpectedTensor {
  std::string name;             // canonical: "blk.3.attn_q.weight"
  std::vector<int64_t> shape;   // outermost first: {q_dim, dim}
};

// Every tensor the config requires, in a stable order (globals, then layer by layer).
std::vector<ExpectedTensor> ExpectedModelTensors(const ModelConfig& config);

// Maps a canonical name to the name the source file uses, for error messages (HF files say
// "model.layers.0.self_attn.q_proj.weight"); nullptr when the source uses canonical names.
using SourceTensorNamer = std::string (*)(const std::string& canonical);

// Checks presence and exact shapes; errors name the source, the tensor and both shapes.
// Extra tensors are allowed (loaders drop the ones they do not know).
Status CheckModelTensors(const ModelConfig& config, const TensorSet& tensors, const std::string& source,
                         SourceTensorNamer source_name = nullptr);

}  // namespace mixq
