#include "mixq/tokenizer/byte_level.h"

#include <array>

#include "mixq/tokenizer/text_util.h"

namespace mixq::tok {
namespace {

bool MapsToItself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Tables {
  std::array<uint32_t, 256> to_cp{};
  std::array<std::string, 256> to_utf8{};
  std::array<int16_t, 512> from_cp{};  // code point (< 0x200) -> byte, -1 if none
  Tables() {
    from_cp.fill(-1);
    uint32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      to_cp[b] = MapsToItself(b) ? static_cast<uint32_t>(b) : next++;
      to_utf8[b] = CodepointToUtf8(to_cp[b]);
      from_cp[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;  // immutable after construction
  return tables;
}

}  // namespace

uint32_t ByteToCodepoint(uint8_t byte) { return GetTables().to_cp[byte]; }

std::string BytesToByteLevel(std::string_view bytes) {
  const Tables& t = GetTables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.to_utf8[static_cast<uint8_t>(c)];
  return out;
}

std::optional<std::string> ByteLevelToBytes(std::string_view text) {
  const Tables& t = GetTables();
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<uint8_t>(text[i]);
    uint32_t cp;
    if (lead < 0x80) {
      cp = lead;
      i += 1;
    } else if ((lead & 0xE0) == 0xC0 && i + 1 < text.size()) {
      cp = ((lead & 0x1Fu) << 6) | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      return std::nullopt;  // mapped code points are all < U+0200: one or two UTF-8 bytes
    }
    if (cp >= t.from_cp.size() || t.from_cp[cp] < 0) return std::nullopt;
    out += static_cast<char>(t.from_cp[cp]);
  }
  return out;
}

}  // namespace mixq::tok
