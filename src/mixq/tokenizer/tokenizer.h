// Text <-> token ids. Implementations: SentencePiece .model (libsentencepiece), Hugging Face
// tokenizer.json byte-level BPE, llama2.c tokenizer.bin, and GGUF-embedded vocabularies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/status.h"

namespace mixq {

struct LoadedModel;  // io/model_files.h

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Encodes text without BOS/EOS (callers add BOS when the model wants it).
  virtual Result<std::vector<int32_t>> Encode(const std::string& text) const = 0;
  // The bytes of one token as it appears in the output stream, given the previous token
  // (SentencePiece drops the leading space of the first piece after BOS). Byte-fallback
  // tokens produce raw bytes, which may be partial UTF-8; callers concatenate.
  virtual std::string DecodeToken(int32_t prev_token, int32_t token) const = 0;
  // Decodes a whole sequence (the concatenation of DecodeToken over it, with prev = BOS or -1).
  virtual std::string Decode(const std::vector<int32_t>& ids) const;

  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;  // -1 if none
  virtual int32_t eos_id() const = 0;  // -1 if none
  // Whether the model expects BOS before the text (SentencePiece models: yes; GPT-2 BPE: no).
  virtual bool add_bos() const = 0;
};

// The tokenizer that belongs with a loaded model: tokenizer.model or tokenizer.json in a
// Hugging Face directory; the vocabulary embedded in a GGUF file; for a llama2.c checkpoint,
// `tokenizer_path` (tokenizer.bin) or a tokenizer.bin / tok*.bin next to the checkpoint.
Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const LoadedModel& model, const std::string& tokenizer_path = "");

}  // namespace mixq
