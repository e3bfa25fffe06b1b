// Loading any supported model file into one in-memory form: a ModelConfig plus tensors under
// canonical names (see model_config.h). Formats:
//   - a Hugging Face directory (config.json + model.safetensors or model.safetensors.index.json)
//   - a GGUF v3 file (*.gguf)
//   - a llama2.c checkpoint (*.bin)
// Tensors keep their stored dtype (f32/f16/bf16 or a quantized type) and point into the
// memory-mapped file; the model module converts what it needs.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/tensor.h"

namespace mixq {

class GgufFile;  // io/gguf.h

enum class ModelFormat { kHuggingFace, kGguf, kLlama2c };
const char* ModelFormatName(ModelFormat format);

struct LoadedModel {
  std::string path;
  ModelFormat format = ModelFormat::kHuggingFace;
  ModelConfig config;
  TensorSet tensors;
  // Set for GGUF models: metadata and embedded vocabulary live there.
  std::shared_ptr<const GgufFile> gguf;
};

// Detects the format from the path and loads it. Errors name the file and the field/tensor.
// A directory is a Hugging Face checkpoint (so is a config.json or *.safetensors inside one);
// *.gguf or a file starting with "GGUF" is GGUF; anything else is read as llama2.c. The config
// is validated and every tensor it requires is checked for presence and exact shape.
Result<std::shared_ptr<LoadedModel>> LoadModelFiles(const std::string& path);

// Only the hyper-parameters, without mapping the weights: config.json (the file, or the
// directory holding it), GGUF metadata, or a llama2.c header. Validated like LoadModelFiles.
Result<ModelConfig> LoadModelConfig(const std::string& path);

}  // namespace mixq
