// How SentencePiece-style pieces print, shared by the libsentencepiece tokenizer and the GGUF
// "llama" vocabulary so that both decode identically.
#pragma once

#include <cstdint>
#include <string>

#include "mixq/base/status.h"

namespace mixq::tok {

// SentencePiece's piece types; GGUF's tokenizer.ggml.token_type uses the same numbers.
enum class SpmPieceType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// The bytes a piece stands for: U+2581 becomes ' '; byte pieces "<0xAB>" the raw byte;
// control pieces nothing; the unknown piece " \u2047 " (SentencePiece's default surface).
// Fails only for a byte piece that is not of the form <0xAB>.
Result<std::string> SpmPieceSurface(SpmPieceType type, const std::string& piece);

// The surface as printed after `prev_token`: SentencePiece drops the space its dummy prefix
// added, i.e. the leading ' ' of the first piece after BOS (byte pieces are left alone).
std::string SpmSurfaceAfter(const std::string& surface, SpmPieceType type, int32_t prev_token, int32_t bos_id,
                            bool dummy_prefix);

}  // namespace mixq::tok
