#include "mixq/tokenizer/bpe_tokenizer.h"

#include <algorithm>

#include "mixq/tokenizer/byte_level.h"

namespace mixq {

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(ByteLevelBpeConfig config) : config_(std::move(config)) {
  int32_t size = config_.vocab_size;
  for (const auto& [piece, id] : config_.model.vocab()) size = std::max(size, id + 1);
  for (const auto& token : config_.added_tokens.tokens()) size = std::max(size, token.id + 1);
  surfaces_.resize(size);
  for (const auto& [piece, id] : config_.model.vocab()) {
    std::optional<std::string> bytes = tok::ByteLevelToBytes(piece);
    surfaces_[id] = bytes ? *bytes : piece;
  }
  for (const auto& token : config_.added_tokens.tokens()) surfaces_[token.id] = token.content;
}

Result<std::vector<int32_t>> ByteLevelBpeTokenizer::Encode(const std::string& text) const {
  std::vector<int32_t> ids;
  std::vector<std::string> words;
  for (const tok::TextSegment& segment : config_.added_tokens.Split(text)) {
    if (segment.token >= 0) {
      ids.push_back(segment.token);
      continue;
    }
    words.clear();
    const std::string normalized = config_.normalizer.Apply(segment.text);
    MIXQ_RETURN_IF_ERROR(config_.pre_tokenizer.Split(normalized, &words));
    for (const std::string& word : words) config_.model.EncodeWord(tok::BytesToByteLevel(word), &ids);
  }
  return ids;
}

std::string ByteLevelBpeTokenizer::DecodeToken(int32_t prev_token, int32_t token) const {
  if (token < 0 || token >= vocab_size()) return "";
  return surfaces_[token];
}

int32_t ByteLevelBpeTokenizer::TokenId(const std::string& piece) const {
  for (const auto& token : config_.added_tokens.tokens())
    if (token.content == piece) return token.id;
  return config_.model.Lookup(piece);
}

}  // namespace mixq
