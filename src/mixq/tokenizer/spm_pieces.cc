#include "mixq/tokenizer/spm_pieces.h"

#include "mixq/tokenizer/text_util.h"

namespace mixq::tok {

Result<std::string> SpmPieceSurface(SpmPieceType type, const std::string& piece) {
  switch (type) {
    case SpmPieceType::kControl:
      return std::string();
    case SpmPieceType::kUnknown:
      return std::string(" \xE2\x81\x87 ");  // U+2047
    case SpmPieceType::kByte: {
      std::optional<uint8_t> byte = ParseBytePiece(piece);
      if (!byte) return Err("byte piece '{}' is not of the form <0xAB>", piece);
      return std::string(1, static_cast<char>(*byte));
    }
    default:
      return ReplaceAll(piece, kSpaceSymbol, " ");
  }
}

std::string SpmSurfaceAfter(const std::string& surface, SpmPieceType type, int32_t prev_token, int32_t bos_id,
                            bool dummy_prefix) {
  if (dummy_prefix && bos_id >= 0 && prev_token == bos_id && type != SpmPieceType::kByte && !surface.empty() &&
      surface[0] == ' ')
    return surface.substr(1);
  return surface;
}

}  // namespace mixq::tok
