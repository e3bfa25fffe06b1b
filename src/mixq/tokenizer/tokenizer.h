// Text <-> token ids. Implementations: SentencePiece .model (libsentencepiece), Hugging Face
// tokenizer.json byte-level BPE, llama2.c tokenizer.bin, and GGUF-embedded vocabularies.
// Each lives in its own header (sentencepiece_tokenizer.h, hf_tokenizer_json.h,
// llama2c_tokenizer.h, gguf_tokenizer.h); LoadTokenizer picks the one that belongs to a model.
//
// Tokenizers are immutable after loading, so Encode/DecodeToken may be called from several
// threads at once.
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
  // tokens produce raw bytes, which may be partial UTF-8; callers concatenate. Control tokens
  // (BOS/EOS) decode to their piece or to nothing, as documented by each implementation.
  // Out-of-range ids decode to "". The bytes are raw: a CLI that mimics llama2.c's
  // safe_printf (skipping single non-printable bytes) applies that filter itself.
  virtual std::string DecodeToken(int32_t prev_token, int32_t token) const = 0;
  // Decodes a whole sequence: the concatenation of DecodeToken over it, where the first
  // token's prev is bos_id() when add_bos() (so a leading dummy-prefix space is dropped, as
  // after BOS) and -1 otherwise.
  virtual std::string Decode(const std::vector<int32_t>& ids) const;

  // Streaming decode of `token` after `prev_token`, where `text_started` says whether any text
  // was produced before: a BOS in the middle of a text (models trained on BOS-separated
  // paragraphs emit it) does not start a new text, so the next piece keeps its leading space,
  // as SentencePiece's DecodeIds does. Decode() is the concatenation of this over a sequence.
  std::string DecodeNext(int32_t prev_token, int32_t token, bool text_started) const {
    return DecodeToken(text_started && prev_token == bos_id() ? kNoToken : prev_token, token);
  }
  static constexpr int32_t kNoToken = -2;  // a "previous token" that is neither BOS nor start

  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;  // -1 if none
  virtual int32_t eos_id() const = 0;  // -1 if none
  // Whether the model expects BOS before the text (SentencePiece models: yes; GPT-2 BPE: no).
  virtual bool add_bos() const = 0;
};

// The tokenizer that belongs with a loaded model:
//   - `tokenizer_path` when given, by its name: *.json (tokenizer.json), *.model
//     (SentencePiece), anything else a llama2.c tokenizer.bin;
//   - a Hugging Face directory: tokenizer.json if present, else tokenizer.model;
//   - GGUF: the embedded vocabulary (model.gguf);
//   - llama2.c: tokenizer.bin next to the checkpoint, else the single tok*.bin there.
// llama2.c files carry no token count, so model.config.vocab_size says how many to read.
// Errors name every path that was searched.
Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const LoadedModel& model, const std::string& tokenizer_path = "");

}  // namespace mixq
