// A compiled PCRE2 pattern for pre-tokenizer splitting. Compiled with UTF and UCP, so \p{L},
// \p{N}, \s and \w are Unicode-aware and lookarounds like \s+(?!\S) work as the Hugging Face
// (Rust `fancy-regex` / Oniguruma) patterns expect; and with MATCH_INVALID_UTF, so text that is
// not valid UTF-8 is matched without undefined behaviour (invalid bytes never match and end up
// in the gaps between matches, which splitting keeps).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mixq/base/status.h"

namespace mixq::tok {

class Regex {
 public:
  // `where` names the source in errors ("[tokenizer] x.json: 'pre_tokenizer'...").
  static Result<std::shared_ptr<const Regex>> Compile(const std::string& pattern, const std::string& where);
  // A pattern that matches `literal` exactly (Split with {"String": ...}).
  static Result<std::shared_ptr<const Regex>> CompileLiteral(const std::string& literal, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // [begin, end) byte ranges of the successive non-overlapping, non-empty matches.
  Result<std::vector<std::pair<size_t, size_t>>> FindAll(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  static Result<std::shared_ptr<const Regex>> CompileWithOptions(const std::string& pattern, const std::string& where,
                                                                  uint32_t extra_options);
  std::string pattern_;
  std::string where_;
  void* code_ = nullptr;  // pcre2_code_8*, kept opaque so that users need not include pcre2.h
};

}  // namespace mixq::tok
