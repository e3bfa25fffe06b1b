#include "mixq/io/model_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "mixq/io/gguf_model.h"
#include "mixq/io/hf_model.h"
#include "mixq/io/llama2c.h"
#include "mixq/io/model_check.h"

namespace mixq {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool HasGgufMagic(const std::string& path) {
  char magic[4] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  const bool ok = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "GGUF", 4) == 0;
  std::fclose(f);
  return ok;
}

// Which loader a path needs; `hf_dir` is the directory for Hugging Face checkpoints (a file
// inside one, such as config.json or model.safetensors, stands for its directory).
Result<ModelFormat> DetectFormat(const std::string& path, std::string* hf_dir) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Err("[io] {}: cannot open: {}", path, std::strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    *hf_dir = path;
    return ModelFormat::kHuggingFace;
  }
  if (EndsWith(path, ".gguf") || HasGgufMagic(path)) return ModelFormat::kGguf;
  if (EndsWith(path, ".json") || EndsWith(path, ".safetensors")) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    *hf_dir = parent.empty() ? "." : parent;
    return ModelFormat::kHuggingFace;
  }
  return ModelFormat::kLlama2c;
}

}  // namespace

const char* ModelFormatName(ModelFormat format) {
  switch (format) {
    case ModelFormat::kHuggingFace: return "huggingface";
    case ModelFormat::kGguf: return "gguf";
    case ModelFormat::kLlama2c: return "llama2c";
  }
  return "?";
}

Result<std::shared_ptr<LoadedModel>> LoadModelFiles(const std::string& path) {
  std::string hf_dir;
  MIXQ_ASSIGN_OR_RETURN(ModelFormat format, DetectFormat(path, &hf_dir));
  auto model = std::make_shared<LoadedModel>();
  SourceTensorNamer namer = nullptr;
  switch (format) {
    case ModelFormat::kHuggingFace:
      MIXQ_RETURN_IF_ERROR(LoadHfModel(hf_dir, model.get()));
      namer = HfNameFromCanonical;
      break;
    case ModelFormat::kGguf:
      MIXQ_RETURN_IF_ERROR(LoadGgufModel(path, model.get()));
      break;
    case ModelFormat::kLlama2c:
      MIXQ_RETURN_IF_ERROR(LoadLlama2cModel(path, model.get()));
      break;
  }
  MIXQ_RETURN_IF_ERROR(model->config.Validate(model->path));
  MIXQ_RETURN_IF_ERROR(CheckModelTensors(model->config, model->tensors, model->path, namer));
  return model;
}

Result<ModelConfig> LoadModelConfig(const std::string& path) {
  std::string hf_dir;
  MIXQ_ASSIGN_OR_RETURN(ModelFormat format, DetectFormat(path, &hf_dir));
  ModelConfig config;
  std::string source = path;
  if (format == ModelFormat::kHuggingFace) {
    source = EndsWith(path, ".json") ? path : hf_dir + "/config.json";
    MIXQ_ASSIGN_OR_RETURN(config, ReadHfConfig(source));
  } else if (format == ModelFormat::kGguf) {
    MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<GgufFile> gguf, GgufFile::Open(path));
    MIXQ_ASSIGN_OR_RETURN(config, GgufModelConfig(*gguf));
  } else {
    MIXQ_ASSIGN_OR_RETURN(config, ReadLlama2cConfig(path));
  }
  MIXQ_RETURN_IF_ERROR(config.Validate(source));
  return config;
}

}  // namespace mixq
