// SentencePiece BPE over a bare vocabulary (pieces, scores, types), as GGUF files with
// tokenizer.ggml.model = "llama" carry it. Written from SentencePiece's documented behaviour:
//   1. normalize: ' ' -> U+2581 "▁", and a leading "▁" for non-empty text (add_space_prefix);
//   2. split into characters, user-defined pieces kept whole (longest match);
//   3. repeatedly merge the adjacent pair whose concatenation is the highest-scoring normal,
//      user-defined or unused piece (leftmost on ties); unused pieces are split back into the
//      pieces they were merged from at the end;
//   4. a symbol that is no piece becomes its UTF-8 bytes as <0xAB> byte pieces, or <unk> when
//      the vocabulary has no byte pieces (a run of unknown symbols giving a single <unk>).
// Control pieces (<s>, </s>) are never produced from text, exactly as in SentencePiece.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mixq/tokenizer/added_tokens.h"
#include "mixq/tokenizer/pair_merge.h"
#include "mixq/tokenizer/spm_pieces.h"
#include "mixq/tokenizer/text_util.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

struct SpmVocab {
  std::string source;  // file name for errors
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<tok::SpmPieceType> types;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  bool add_bos = true;
  bool add_space_prefix = true;
};

class SpmVocabTokenizer : public Tokenizer {
 public:
  // Checks sizes and byte pieces; errors name vocab.source.
  static Result<std::unique_ptr<SpmVocabTokenizer>> Create(SpmVocab vocab);

  Result<std::vector<int32_t>> Encode(const std::string& text) const override;
  // As SentencePieceTokenizer::DecodeToken (spm_pieces.h).
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;

  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.pieces.size()); }
  int32_t bos_id() const override { return vocab_.bos_id; }
  int32_t eos_id() const override { return vocab_.eos_id; }
  bool add_bos() const override { return vocab_.add_bos; }

 private:
  explicit SpmVocabTokenizer(SpmVocab vocab);
  int32_t LookupMergeable(std::string_view piece) const;  // -1 when absent
  void EmitSymbol(const std::string& text, const std::unordered_map<std::string, std::pair<std::string, std::string>>& history,
                  bool* last_unknown, std::vector<int32_t>* ids) const;

  SpmVocab vocab_;
  std::vector<std::string> surfaces_;
  // Normal, user-defined and unused pieces: what text can become (first id for duplicates).
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> mergeable_;
  std::array<int32_t, 256> byte_ids_{};  // -1 where the vocabulary has no <0xAB> piece
  bool has_byte_pieces_ = false;
  tok::AddedTokenMatcher user_defined_;
  tok::InnerPieceIndex inner_;
};

}  // namespace mixq
