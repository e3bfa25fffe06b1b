// The simple Hugging Face normalizers byte-level tokenizers use, applied to plain text segments
// (not to added tokens) before pre-tokenization.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mixq::tok {

class Normalizer {
 public:
  // Replace {pattern: {String: from}, content: to}.
  void AddReplace(std::string from, std::string to) { steps_.push_back({Kind::kReplace, std::move(from), std::move(to)}); }
  // Prepend {prepend: s}: s before non-empty text.
  void AddPrepend(std::string prefix) { steps_.push_back({Kind::kPrepend, std::move(prefix), ""}); }

  std::string Apply(std::string_view text) const;
  bool empty() const { return steps_.empty(); }

 private:
  enum class Kind { kReplace, kPrepend };
  struct Step {
    Kind kind;
    std::string a, b;
  };
  std::vector<Step> steps_;
};

}  // namespace mixq::tok
