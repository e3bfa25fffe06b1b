// Byte-level BPE tokenizers (GPT-2, Llama 3, Qwen2, SmolLM): added tokens are cut out of the
// text first; the rest is normalized, pre-tokenized into words, each word mapped byte by byte
// to GPT-2's printable alphabet (byte_level.h) and merged by rank (bpe_model.h). Built from a
// tokenizer.json (hf_tokenizer_json.h) or a GGUF "gpt2" vocabulary (gguf_tokenizer.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mixq/tokenizer/added_tokens.h"
#include "mixq/tokenizer/bpe_model.h"
#include "mixq/tokenizer/normalizer.h"
#include "mixq/tokenizer/pre_tokenizer.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

struct ByteLevelBpeConfig {
  std::string source;  // file name for errors
  tok::BpeModel model;
  tok::Normalizer normalizer;
  tok::PreTokenizer pre_tokenizer;
  tok::AddedTokenMatcher added_tokens;
  int32_t vocab_size = 0;  // 0: one past the largest id in the vocabulary and added tokens
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  bool add_bos = false;
};

class ByteLevelBpeTokenizer : public Tokenizer {
 public:
  explicit ByteLevelBpeTokenizer(ByteLevelBpeConfig config);

  Result<std::vector<int32_t>> Encode(const std::string& text) const override;
  // Vocabulary tokens: their byte-level string mapped back to bytes (a token that is not a
  // byte-level string decodes to its text). Added tokens, special ones included, decode to
  // their content, so Decode(Encode(x)) == x for any x. prev_token is not needed.
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;

  int32_t vocab_size() const override { return static_cast<int32_t>(surfaces_.size()); }
  int32_t bos_id() const override { return config_.bos_id; }
  int32_t eos_id() const override { return config_.eos_id; }
  bool add_bos() const override { return config_.add_bos; }

  // The id of a vocabulary piece or added token (exact string), -1 when absent.
  int32_t TokenId(const std::string& piece) const;
  // What the tokenizer was built from, e.g. to export it (tokenizer/vocab_export.h).
  const ByteLevelBpeConfig& config() const { return config_; }

 private:
  ByteLevelBpeConfig config_;
  std::vector<std::string> surfaces_;  // DecodeToken's bytes per id
};

}  // namespace mixq
