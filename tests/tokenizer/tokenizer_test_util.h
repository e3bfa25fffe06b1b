// Helpers for the tokenizer tests: texts that exercise spacing, Unicode and byte fallback.
#pragma once

#include <string>
#include <vector>

namespace mixq::testing {

// Ordinary English, code, whitespace runs, accents, CJK, emoji (4-byte UTF-8), digits.
inline std::vector<std::string> DiverseTexts() {
  return {
      "Hello world",
      "Once upon a time, there was a little girl named Lily.",
      "  two leading spaces and trailing ones   ",
      "tabs\tand\nnewlines\r\n\n\nblank lines",
      "def f(x):\n    return x ** 2  # comment\n",
      "Numbers: 3.14159, 2026, 1e-5, 0x7fff and 1,000,000.",
      "\xC3\x9Cn\xC3\xAF\x63\xC3\xB6\x64\xC3\xA9 \xE2\x80\x94 \xE2\x80\x9Cquotes\xE2\x80\x9D",  // Ünïcödé — “quotes”
      "\xE6\x88\x91\xE6\x83\xB3\xE5\x9C\xA8 apple \xE5\xB7\xA5\xE4\xBD\x9C",                   // 我想在 apple 工作
      "emoji \xF0\x9F\x99\x82 \xF0\x9F\xA6\x99 end",                                           // 🙂 🦙
      "\xD0\xBD\xD0\xB5\xD1\x89\xD0\xBE \xD0\xBD\xD0\xB0 \xD0\x91\xD1\x8A\xD0\xBB\xD0\xB3\xD0\xB0\xD1\x80\xD1\x81\xD0\xBA\xD0\xB8",
      "I've been 'told he's there, 'RE you sure? We'Ve a'lL",
      "!!!!!!??????......------=======",
      "a",
      " ",
      "\n",
  };
}

}  // namespace mixq::testing
