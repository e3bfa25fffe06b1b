// llama2.c tokenizer.bin (Karpathy's run.c is the spec for these files). Layout, little-endian:
//   int32 max_token_length
//   vocab_size x (float32 score, int32 len, len bytes of piece)
// The file does not store vocab_size: the checkpoint header does, so the loader is told.
// Pieces use ' ' where SentencePiece uses U+2581; BOS is stored as "\n<s>\n", EOS as
// "\n</s>\n"; byte-fallback tokens as "<0xAB>" at id byte + 3.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mixq/tokenizer/text_util.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

class Llama2cTokenizer : public Tokenizer {
 public:
  // Reads `vocab_size` entries (extra bytes after them are ignored, as run.c does); with
  // vocab_size <= 0, reads entries until the end of the file.
  static Result<std::unique_ptr<Llama2cTokenizer>> Load(const std::string& path, int32_t vocab_size);

  // run.c encode() without BOS/EOS: for non-empty text the dummy-prefix token " " first; then
  // each UTF-8 code point (run.c's grouping: a lead byte plus at most 3 continuation bytes) as
  // a piece, or its bytes as ids byte + 3 when the piece is missing; then repeatedly the
  // adjacent pair whose concatenated pieces form the highest-scoring piece (leftmost on ties).
  // Where run.c goes wrong, mixq follows SentencePiece (which made these vocabularies): a
  // missing " " piece adds no dummy prefix (run.c would push id -1), and in a vocabulary
  // without byte tokens (ids 3..258 not "<0x00>".."<0xFF>", e.g. tok105) a run of unknown
  // code points becomes one <unk> (0), as SentencePiece encodes it, where run.c would emit
  // byte + 3: some unrelated piece, or an id past the vocabulary.
  Result<std::vector<int32_t>> Encode(const std::string& text) const override;
  // run.c decode(): the raw piece; after BOS (id 1) a leading ' ' is dropped; "<0xAB>" pieces
  // become the byte 0xAB. BOS/EOS decode to their stored pieces ("\n<s>\n"): run.c's
  // generate loop stops at them instead of printing.
  std::string DecodeToken(int32_t prev_token, int32_t token) const override;

  int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return 2; }
  bool add_bos() const override { return true; }

  const std::string& piece(int32_t id) const { return pieces_[id]; }
  float score(int32_t id) const { return scores_[id]; }
  int32_t max_token_length() const { return max_token_length_; }

 private:
  Llama2cTokenizer() = default;
  int32_t Lookup(std::string_view piece) const;  // -1 when absent
  void FindNeverMerging();

  int32_t max_token_length_ = 0;
  bool has_byte_tokens_ = false;  // ids 3..258 are "<0x00>".."<0xFF>"
  // Ids whose piece occurs inside no longer piece: they never merge (see MergePairsBetweenBarriers).
  std::vector<bool> never_merges_;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  // First id for each piece (run.c's bsearch over a qsort'ed copy would pick an arbitrary one
  // of several duplicates; the shipped files have none).
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> piece_to_id_;
};

}  // namespace mixq
