// GPT-2's reversible byte <-> Unicode mapping ("ByteLevel" in Hugging Face tokenizers): every
// byte becomes a printable code point so that BPE can run on strings without whitespace or
// control characters. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to
// themselves; the other 68 bytes map, in increasing order, to U+0100, U+0101, ... (so ' ' is
// U+0120 'Ġ' and '\n' is U+010A 'Ċ').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mixq::tok {

// The code point that stands for `byte`.
uint32_t ByteToCodepoint(uint8_t byte);

// UTF-8 of the mapped code point of each byte of `bytes`.
std::string BytesToByteLevel(std::string_view bytes);

// The inverse: the bytes behind a byte-level string, or nullopt if it holds a code point that
// is not the image of a byte (e.g. an added token's text that was never mapped).
std::optional<std::string> ByteLevelToBytes(std::string_view text);

}  // namespace mixq::tok
