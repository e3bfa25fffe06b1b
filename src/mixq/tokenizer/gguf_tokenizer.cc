#include "mixq/tokenizer/gguf_tokenizer.h"

#include "mixq/io/gguf.h"
#include "mixq/tokenizer/bpe_tokenizer.h"
#include "mixq/tokenizer/gguf_pre_tokenizers.h"
#include "mixq/tokenizer/spm_vocab_tokenizer.h"

namespace mixq {
namespace {

using tok::SpmPieceType;

// Optional keys: absent gives the fallback, a present key of the wrong type is an error.
Result<int32_t> OptionalId(const GgufFile& gguf, const std::string& key) {
  if (!gguf.Find(key)) return -1;
  MIXQ_ASSIGN_OR_RETURN(int64_t id, gguf.GetInt(key));
  return static_cast<int32_t>(id);
}

Result<bool> OptionalBool(const GgufFile& gguf, const std::string& key, bool fallback) {
  if (!gguf.Find(key)) return fallback;
  return gguf.GetBool(key);
}

// token_type, or all normal when absent; unknown numbers count as normal.
Result<std::vector<SpmPieceType>> TokenTypes(const GgufFile& gguf, size_t n) {
  std::vector<SpmPieceType> types(n, SpmPieceType::kNormal);
  if (!gguf.Find("tokenizer.ggml.token_type")) return types;
  MIXQ_ASSIGN_OR_RETURN(std::vector<int64_t> raw, gguf.GetIntArray("tokenizer.ggml.token_type"));
  if (raw.size() != n)
    return Err("[tokenizer] {}: 'tokenizer.ggml.token_type' has {} entries for {} tokens", gguf.path(), raw.size(), n);
  for (size_t i = 0; i < n; ++i)
    if (raw[i] >= 1 && raw[i] <= 6) types[i] = static_cast<SpmPieceType>(raw[i]);
  return types;
}

Result<std::unique_ptr<Tokenizer>> FromLlamaVocab(const GgufFile& gguf, std::vector<std::string> tokens) {
  SpmVocab vocab;
  vocab.source = gguf.path();
  MIXQ_ASSIGN_OR_RETURN(std::vector<double> scores, gguf.GetFloatArray("tokenizer.ggml.scores"));
  if (scores.size() != tokens.size())
    return Err("[tokenizer] {}: 'tokenizer.ggml.scores' has {} entries for {} tokens", gguf.path(), scores.size(),
               tokens.size());
  vocab.scores.assign(scores.begin(), scores.end());
  MIXQ_ASSIGN_OR_RETURN(vocab.types, TokenTypes(gguf, tokens.size()));
  vocab.pieces = std::move(tokens);
  MIXQ_ASSIGN_OR_RETURN(vocab.bos_id, OptionalId(gguf, "tokenizer.ggml.bos_token_id"));
  MIXQ_ASSIGN_OR_RETURN(vocab.eos_id, OptionalId(gguf, "tokenizer.ggml.eos_token_id"));
  MIXQ_ASSIGN_OR_RETURN(vocab.unk_id, OptionalId(gguf, "tokenizer.ggml.unknown_token_id"));
  MIXQ_ASSIGN_OR_RETURN(vocab.add_bos, OptionalBool(gguf, "tokenizer.ggml.add_bos_token", true));
  MIXQ_ASSIGN_OR_RETURN(vocab.add_space_prefix, OptionalBool(gguf, "tokenizer.ggml.add_space_prefix", true));
  MIXQ_ASSIGN_OR_RETURN(auto tok, SpmVocabTokenizer::Create(std::move(vocab)));
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

Result<std::unique_ptr<Tokenizer>> FromGpt2Vocab(const GgufFile& gguf, std::vector<std::string> tokens) {
  ByteLevelBpeConfig config;
  config.source = gguf.path();
  config.vocab_size = static_cast<int32_t>(tokens.size());
  MIXQ_ASSIGN_OR_RETURN(std::vector<SpmPieceType> types, TokenTypes(gguf, tokens.size()));
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> vocab;
  vocab.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    if (types[i] == SpmPieceType::kControl || types[i] == SpmPieceType::kUserDefined)
      config.added_tokens.Add({id, tokens[i], types[i] == SpmPieceType::kControl, false, false});
    vocab.emplace(tokens[i], id);
  }
  MIXQ_ASSIGN_OR_RETURN(std::vector<std::string> merge_strings, gguf.GetStringArray("tokenizer.ggml.merges"));
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merge_strings.size());
  for (size_t i = 0; i < merge_strings.size(); ++i) {
    const std::string& m = merge_strings[i];
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;  // the left part is never empty
    if (space == std::string::npos)
      return Err("[tokenizer] {}: 'tokenizer.ggml.merges'[{}]: \"{}\" is not \"a b\"", gguf.path(), i, m);
    merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  MIXQ_ASSIGN_OR_RETURN(config.model, tok::BpeModel::Create(std::move(vocab), merges, "[tokenizer] " + gguf.path(),
                                                             "tokenizer.ggml.merges"));
  std::string pre = "default";
  if (gguf.Find("tokenizer.ggml.pre")) {
    MIXQ_ASSIGN_OR_RETURN(pre, gguf.GetString("tokenizer.ggml.pre"));
  }
  MIXQ_RETURN_IF_ERROR(tok::BuildGgufPreTokenizer(pre, "[tokenizer] " + gguf.path() + ": 'tokenizer.ggml.pre'",
                                                  &config.pre_tokenizer));
  MIXQ_ASSIGN_OR_RETURN(config.bos_id, OptionalId(gguf, "tokenizer.ggml.bos_token_id"));
  MIXQ_ASSIGN_OR_RETURN(config.eos_id, OptionalId(gguf, "tokenizer.ggml.eos_token_id"));
  MIXQ_ASSIGN_OR_RETURN(config.add_bos, OptionalBool(gguf, "tokenizer.ggml.add_bos_token", false));
  config.add_bos = config.add_bos && config.bos_id >= 0;
  return std::unique_ptr<Tokenizer>(std::make_unique<ByteLevelBpeTokenizer>(std::move(config)));
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> TokenizerFromGguf(const GgufFile& gguf) {
  MIXQ_ASSIGN_OR_RETURN(std::string model, gguf.GetString("tokenizer.ggml.model"));
  MIXQ_ASSIGN_OR_RETURN(std::vector<std::string> tokens, gguf.GetStringArray("tokenizer.ggml.tokens"));
  if (tokens.empty()) return Err("[tokenizer] {}: 'tokenizer.ggml.tokens' is empty", gguf.path());
  if (model == "llama") return FromLlamaVocab(gguf, std::move(tokens));
  if (model == "gpt2") return FromGpt2Vocab(gguf, std::move(tokens));
  return Err("[tokenizer] {}: 'tokenizer.ggml.model' is \"{}\"; supported: \"llama\" (SentencePiece), \"gpt2\" (BPE)",
             gguf.path(), model);
}

}  // namespace mixq
