#include "mixq/tokenizer/added_tokens.h"

#include <algorithm>

namespace mixq::tok {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

void AddedTokenMatcher::Add(AddedToken token) {
  if (token.content.empty()) return;  // an empty string would match everywhere
  const int index = static_cast<int>(tokens_.size());
  auto& bucket = by_first_byte_[static_cast<uint8_t>(token.content[0])];
  tokens_.push_back(std::move(token));
  bucket.push_back(index);
  std::stable_sort(bucket.begin(), bucket.end(),
                   [this](int a, int b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
}

std::vector<TextSegment> AddedTokenMatcher::Split(std::string_view text) const {
  std::vector<TextSegment> segments;
  size_t plain_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* hit = nullptr;
    for (int index : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
      if (text.substr(pos).starts_with(tokens_[index].content)) {
        hit = &tokens_[index];
        break;
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    size_t plain_end = pos;
    if (hit->lstrip)
      while (plain_end > plain_start && IsSpace(text[plain_end - 1])) --plain_end;
    if (plain_end > plain_start) segments.push_back({text.substr(plain_start, plain_end - plain_start), -1});
    segments.push_back({std::string_view(), hit->id});
    pos += hit->content.size();
    if (hit->rstrip)
      while (pos < text.size() && IsSpace(text[pos])) ++pos;
    plain_start = pos;
  }
  if (plain_start < text.size()) segments.push_back({text.substr(plain_start), -1});
  return segments;
}

}  // namespace mixq::tok
