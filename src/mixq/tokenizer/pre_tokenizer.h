// Pre-tokenization for byte-level BPE: cutting normalized text into pieces ("words") that BPE
// encodes independently, as Hugging Face's pre_tokenizers do. Steps run in order, each one
// re-splitting every piece the previous step produced. The pieces stay raw bytes here; the
// byte-level mapping (bytes -> printable code points) happens when BPE runs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/tokenizer/regex.h"

namespace mixq::tok {

// What Split does with the matches of its pattern (Hugging Face SplitDelimiterBehavior).
enum class SplitBehavior {
  kRemoved,             // drop the matches, keep the text between them
  kIsolated,            // matches and the text between them, each as a piece
  kMergedWithPrevious,  // each match joins the piece before it
  kMergedWithNext,      // each match joins the piece after it
  kContiguous,          // runs of adjacent matches become one piece
};

struct SplitStep {
  std::shared_ptr<const Regex> regex;
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;  // split on what the pattern does not match
};

// GPT-2's pre-tokenizer regex, which ByteLevel{use_regex: true} applies.
inline constexpr const char* kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  void AddSplit(SplitStep step) { steps_.push_back(std::move(step)); }
  // ByteLevel's add_prefix_space: a piece that does not start with ' ' gets one prepended.
  void AddPrefixSpace() { steps_.push_back(SplitStep{}); }
  bool empty() const { return steps_.empty(); }

  // Appends the pieces of `text` (empty pieces are dropped).
  Status Split(std::string_view text, std::vector<std::string>* pieces) const;

 private:
  std::vector<SplitStep> steps_;  // a step without regex is the prefix-space step
};

// Splits `text` into the pieces `step` makes of it.
Status ApplySplit(const SplitStep& step, std::string_view text, std::vector<std::string>* out);

}  // namespace mixq::tok
