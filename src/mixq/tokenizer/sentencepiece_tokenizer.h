// SentencePiece .model files (Llama 1/2, Mistral, the small TinyStories models), encoded by
// libsentencepiece itself so that ids match the reference implementation exactly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mixq/tokenizer/spm_pieces.h"
#include "mixq/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace mixq {

class SentencePieceTokenizer : public Tokenizer {
 public:
  static Result<std::unique_ptr<SentencePieceTokenizer>> Load(const std::string& path);
  ~SentencePieceTokenizer() override;

  Result<std::vector<int32_t>> Encode(const std::string& text) const override;
  // Normal pieces with U+2581 turned into ' ' (the first one after BOS loses a leading space
  // when the model adds a dummy prefix); byte pieces "<0xAB>" as the raw byte; control pieces
  // (<s>, </s>) as ""; <unk> as " \u2047 ", which is what SentencePiece's own decoder emits.
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;

  int32_t vocab_size() const override { return static_cast<int32_t>(surfaces_.size()); }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  bool add_bos() const override { return true; }
  // Whether encoding prepends U+2581 to the text (normalizer_spec.add_dummy_prefix).
  bool adds_dummy_prefix() const { return dummy_prefix_; }
  // The pieces and scores (processor().IdToPiece / GetScore) and piece types, e.g. to export
  // the vocabulary (tokenizer/vocab_export.h).
  const sentencepiece::SentencePieceProcessor& processor() const { return *processor_; }
  tok::SpmPieceType piece_type(int32_t id) const { return types_[id]; }

 private:
  SentencePieceTokenizer();
  std::string path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::vector<std::string> surfaces_;  // DecodeToken's bytes for each id, computed once
  std::vector<tok::SpmPieceType> types_;
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  bool dummy_prefix_ = false;
};

}  // namespace mixq
