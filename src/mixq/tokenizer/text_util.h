// Small byte/UTF-8 helpers shared by the tokenizers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mixq::tok {

// Length of the UTF-8 sequence that starts with `lead` (1 for ASCII, continuation bytes and
// invalid leads, so malformed text still advances one byte at a time).
int Utf8SequenceLength(uint8_t lead);

// UTF-8 encoding of a code point (<= 0x10FFFF).
std::string CodepointToUtf8(uint32_t codepoint);

// The byte of a SentencePiece byte-fallback piece "<0xAB>" (exactly that form), else nullopt.
std::optional<uint8_t> ParseBytePiece(std::string_view piece);

// "<0xAB>" for a byte: the piece name SentencePiece gives byte-fallback tokens.
std::string BytePieceName(uint8_t byte);

// Every occurrence of `from` (non-empty) replaced by `to`.
std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to);

// SentencePiece's whitespace symbol U+2581 "▁", which stands for a space inside pieces.
inline constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";

// Hash that lets unordered_map<std::string, V> be searched with a string_view (no copy).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace mixq::tok
