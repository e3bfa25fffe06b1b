// Added (special) tokens: strings such as "<|im_start|>" that are cut out of the raw text
// before normalization and pre-tokenization, and map straight to their ids. Matching is
// leftmost-longest on exact bytes, as Hugging Face tokenizers does. Of tokenizer.json's
// per-token flags, lstrip/rstrip are honoured; single_word and normalized are not (every
// token matches anywhere in the raw text), which only matters for tokenizers that set them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mixq::tok {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;  // the match swallows whitespace on its left
  bool rstrip = false;  // ... and on its right
};

// A segment of the input: either plain text to tokenize or one added token.
struct TextSegment {
  std::string_view text;  // empty for a token segment
  int32_t token = -1;     // >= 0 for an added token
};

class AddedTokenMatcher {
 public:
  void Add(AddedToken token);
  bool empty() const { return tokens_.empty(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

  // Cuts `text` into plain segments and added-token segments, in order.
  std::vector<TextSegment> Split(std::string_view text) const;

 private:
  std::vector<AddedToken> tokens_;
  // Candidates by first byte, longest first, so the first hit at a position is the longest.
  std::array<std::vector<int>, 256> by_first_byte_;
};

}  // namespace mixq::tok
