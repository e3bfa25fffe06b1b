#include "mixq/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>


namespace mixq::tok {
namespace {

std::string PcreErrorText(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

// Frees match data on every return path.
struct MatchData {
  pcre2_match_data* data;
  explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
};

}  // namespace

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

Result<std::shared_ptr<const Regex>> Regex::Compile(const std::string& pattern, const std::string& where) {
  return CompileWithOptions(pattern, where, 0);
}

Result<std::shared_ptr<const Regex>> Regex::CompileLiteral(const std::string& literal, const std::string& where) {
  return CompileWithOptions(literal, where, PCRE2_LITERAL);  // CompileWithOptions drops UCP for it
}

Result<std::shared_ptr<const Regex>> Regex::CompileWithOptions(const std::string& pattern, const std::string& where,
                                                               uint32_t extra_options) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  // PCRE2_LITERAL refuses UCP (meaningless without character classes).
  const uint32_t ucp = (extra_options & PCRE2_LITERAL) ? 0 : PCRE2_UCP;
  const uint32_t options = PCRE2_UTF | ucp | PCRE2_MATCH_INVALID_UTF | extra_options;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error,
                                   &error_offset, nullptr);
  if (!code)
    return Err("{}: regex /{}/ does not compile at offset {}: {}", where, pattern, error_offset, PcreErrorText(error));
  // JIT makes splitting a long document several times faster; the interpreter is the fallback.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  std::shared_ptr<Regex> regex(new Regex());
  regex->pattern_ = pattern;
  regex->where_ = where;
  regex->code_ = code;
  return std::shared_ptr<const Regex>(std::move(regex));
}

Result<std::vector<std::pair<size_t, size_t>>> Regex::FindAll(std::string_view text) const {
  const auto* code = static_cast<const pcre2_code*>(code_);
  MatchData match(code);
  if (!match.data) return Err("{}: regex /{}/: out of memory for match data", where_, pattern_);
  std::vector<std::pair<size_t, size_t>> ranges;
  size_t offset = 0;
  while (offset <= text.size()) {
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), offset, 0, match.data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) return Err("{}: regex /{}/ failed at byte {}: {}", where_, pattern_, offset, PcreErrorText(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.data);
    const size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      ranges.emplace_back(begin, end);
      offset = end;
    } else {
      // An empty match yields no piece; step to the next character start to make progress.
      if (begin >= text.size()) break;
      offset = begin + 1;
      while (offset < text.size() && (static_cast<uint8_t>(text[offset]) & 0xC0) == 0x80) ++offset;
    }
  }
  return ranges;
}

}  // namespace mixq::tok
