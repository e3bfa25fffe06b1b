#include "mixq/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <exception>

#include "mixq/tokenizer/text_util.h"

namespace mixq {

SentencePieceTokenizer::SentencePieceTokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

Result<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Load(const std::string& path) {
  std::unique_ptr<SentencePieceTokenizer> tok(new SentencePieceTokenizer());
  tok->path_ = path;
  sentencepiece::SentencePieceProcessor& sp = *tok->processor_;
  try {
    sentencepiece::util::Status status = sp.Load(path);
    if (!status.ok()) return Err("[tokenizer] {}: SentencePiece model: {}", path, status.ToString());
    tok->bos_id_ = sp.bos_id();
    tok->eos_id_ = sp.eos_id();
    // The normalizer spec is not reachable without protobuf headers, so probe it: with a dummy
    // prefix, the first piece of "a" starts with U+2581 (pieces are spans of normalized text,
    // even for unknown characters).
    std::vector<std::string> probe;
    status = sp.Encode("a", &probe);
    if (!status.ok()) return Err("[tokenizer] {}: SentencePiece probe encode: {}", path, status.ToString());
    tok->dummy_prefix_ = !probe.empty() && probe[0].starts_with(tok::kSpaceSymbol);

    const int n = sp.GetPieceSize();
    tok->surfaces_.reserve(n);
    tok->types_.reserve(n);
    for (int id = 0; id < n; ++id) {
      using tok::SpmPieceType;
      const SpmPieceType type = sp.IsControl(id)   ? SpmPieceType::kControl
                                : sp.IsUnknown(id) ? SpmPieceType::kUnknown
                                : sp.IsByte(id)    ? SpmPieceType::kByte
                                : sp.IsUnused(id)  ? SpmPieceType::kUnused
                                                   : SpmPieceType::kNormal;
      auto surface = tok::SpmPieceSurface(type, sp.IdToPiece(id));
      if (!surface.ok()) return Err("[tokenizer] {}: piece {}: {}", path, id, surface.message());
      tok->surfaces_.push_back(std::move(surface).value());
      tok->types_.push_back(type);
    }
  } catch (const std::exception& e) {
    return Err("[tokenizer] {}: SentencePiece: {}", path, e.what());
  }
  return tok;
}

Result<std::vector<int32_t>> SentencePieceTokenizer::Encode(const std::string& text) const {
  std::vector<int> ids;
  try {
    sentencepiece::util::Status status = processor_->Encode(text, &ids);
    if (!status.ok()) return Err("[tokenizer] {}: encode: {}", path_, status.ToString());
  } catch (const std::exception& e) {
    return Err("[tokenizer] {}: encode: {}", path_, e.what());
  }
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string SentencePieceTokenizer::DecodeToken(int32_t prev_token, int32_t token) const {
  if (token < 0 || token >= vocab_size()) return "";
  return tok::SpmSurfaceAfter(surfaces_[token], types_[token], prev_token, bos_id_, dummy_prefix_);
}

}  // namespace mixq
