// LoadTokenizer: which tokenizer file belongs to a loaded model (see tokenizer.h).
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "mixq/io/model_files.h"
#include "mixq/tokenizer/gguf_tokenizer.h"
#include "mixq/tokenizer/hf_tokenizer_json.h"
#include "mixq/tokenizer/llama2c_tokenizer.h"
#include "mixq/tokenizer/sentencepiece_tokenizer.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq {
namespace fs = std::filesystem;
namespace {

bool IsRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

template <typename T>
Result<std::unique_ptr<Tokenizer>> Upcast(Result<std::unique_ptr<T>> r) {
  if (!r.ok()) return r.status();
  return std::unique_ptr<Tokenizer>(std::move(r).value());
}

// An explicit tokenizer file: its name says its format.
Result<std::unique_ptr<Tokenizer>> LoadByName(const std::string& path, int32_t vocab_size) {
  if (!IsRegularFile(path)) return Err("[tokenizer] {}: no such file", path);
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".json") return Upcast(LoadHfTokenizerJson(path));
  if (ext == ".model") return Upcast(SentencePieceTokenizer::Load(path));
  return Upcast(Llama2cTokenizer::Load(path, vocab_size));
}

// The directory that holds a model: the path itself for a Hugging Face directory, else its parent.
fs::path ModelDir(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fs::path(path);
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

Result<std::unique_ptr<Tokenizer>> LoadHuggingFace(const LoadedModel& model) {
  const fs::path dir = ModelDir(model.path);
  const fs::path json = dir / "tokenizer.json";
  if (IsRegularFile(json)) return Upcast(LoadHfTokenizerJson(json.string()));
  const fs::path spm = dir / "tokenizer.model";
  if (IsRegularFile(spm)) return Upcast(SentencePieceTokenizer::Load(spm.string()));
  return Err("[tokenizer] {}: no tokenizer.json or tokenizer.model in {}", model.path, dir.string());
}

Result<std::unique_ptr<Tokenizer>> LoadLlama2c(const LoadedModel& model) {
  const fs::path dir = ModelDir(model.path);
  const int32_t vocab_size = static_cast<int32_t>(model.config.vocab_size);
  const fs::path standard = dir / "tokenizer.bin";
  if (IsRegularFile(standard)) return Upcast(Llama2cTokenizer::Load(standard.string(), vocab_size));
  std::vector<std::string> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("tok") && name.ends_with(".bin") && IsRegularFile(entry.path())) candidates.push_back(name);
  }
  std::sort(candidates.begin(), candidates.end());  // directory order is arbitrary
  if (candidates.size() == 1) return Upcast(Llama2cTokenizer::Load((dir / candidates[0]).string(), vocab_size));
  if (candidates.empty())
    return Err("[tokenizer] {}: no tokenizer given, and neither tokenizer.bin nor tok*.bin in {}", model.path,
               dir.string());
  std::string list;
  for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
  return Err("[tokenizer] {}: no tokenizer given, no tokenizer.bin, and several tok*.bin in {} ({}); pass one",
             model.path, dir.string(), list);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const LoadedModel& model, const std::string& tokenizer_path) {
  if (!tokenizer_path.empty()) return LoadByName(tokenizer_path, static_cast<int32_t>(model.config.vocab_size));
  switch (model.format) {
    case ModelFormat::kHuggingFace:
      return LoadHuggingFace(model);
    case ModelFormat::kGguf:
      if (!model.gguf) return Err("[tokenizer] {}: GGUF model without its GgufFile (LoadedModel.gguf)", model.path);
      return TokenizerFromGguf(*model.gguf);
    case ModelFormat::kLlama2c:
      return LoadLlama2c(model);
  }
  return Err("[tokenizer] {}: unknown model format", model.path);
}

}  // namespace mixq
