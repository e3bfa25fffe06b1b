#include "mixq/tokenizer/gguf_pre_tokenizers.h"

#include <vector>

namespace mixq::tok {
namespace {

// Llama 3's pattern; Qwen2's is the same with \p{N} in place of \p{N}{1,3}.
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Preset {
  const char* name;
  std::vector<const char*> patterns;  // each an Isolated split, in order
};

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> presets = {
      {"default", {kGpt2SplitPattern}},
      {"gpt-2", {kGpt2SplitPattern}},
      {"llama-bpe", {kLlama3Pattern}},
      {"qwen2", {kQwen2Pattern}},
      {"smollm", {R"(\p{N})", kGpt2SplitPattern}},
  };
  return presets;
}

}  // namespace

Status BuildGgufPreTokenizer(const std::string& name, const std::string& where, PreTokenizer* out) {
  std::string known;
  for (const Preset& preset : Presets()) {
    known += (known.empty() ? "" : ", ") + std::string(preset.name);
    if (name != preset.name) continue;
    for (const char* pattern : preset.patterns) {
      MIXQ_ASSIGN_OR_RETURN(auto regex, Regex::Compile(pattern, where));
      out->AddSplit({std::move(regex), SplitBehavior::kIsolated, false});
    }
    return Status::Ok();
  }
  return Err("{}: pre-tokenizer \"{}\" is not supported (known: {})", where, name, known);
}

}  // namespace mixq::tok
