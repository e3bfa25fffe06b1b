#include "mixq/tokenizer/pre_tokenizer.h"

namespace mixq::tok {
namespace {

// A span of the input and whether it is a "delimiter" (after `invert` is applied).
struct Span {
  size_t begin, end;
  bool delimiter;
};

void Emit(std::string_view text, size_t begin, size_t end, std::vector<std::string>* out) {
  if (end > begin) out->emplace_back(text.substr(begin, end - begin));
}

}  // namespace

Status ApplySplit(const SplitStep& step, std::string_view text, std::vector<std::string>* out) {
  MIXQ_ASSIGN_OR_RETURN(auto matches, step.regex->FindAll(text));
  // Matches and the gaps between them, in order, covering the whole text.
  std::vector<Span> spans;
  size_t pos = 0;
  for (const auto& [begin, end] : matches) {
    if (begin > pos) spans.push_back({pos, begin, step.invert});
    spans.push_back({begin, end, !step.invert});
    pos = end;
  }
  if (pos < text.size()) spans.push_back({pos, text.size(), step.invert});

  switch (step.behavior) {
    case SplitBehavior::kRemoved:
      for (const Span& s : spans)
        if (!s.delimiter) Emit(text, s.begin, s.end, out);
      break;
    case SplitBehavior::kIsolated:
      for (const Span& s : spans) Emit(text, s.begin, s.end, out);
      break;
    case SplitBehavior::kContiguous:
      for (size_t i = 0; i < spans.size();) {
        size_t j = i + 1;
        while (spans[i].delimiter && j < spans.size() && spans[j].delimiter) ++j;
        Emit(text, spans[i].begin, spans[j - 1].end, out);
        i = j;
      }
      break;
    case SplitBehavior::kMergedWithPrevious: {
      // A piece ends after each delimiter.
      size_t start = 0;
      for (const Span& s : spans) {
        if (s.delimiter) {
          Emit(text, start, s.end, out);
          start = s.end;
        }
      }
      Emit(text, start, text.size(), out);
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      // A piece starts at each delimiter.
      size_t start = 0;
      for (const Span& s : spans) {
        if (s.delimiter) {
          Emit(text, start, s.begin, out);
          start = s.begin;
        }
      }
      Emit(text, start, text.size(), out);
      break;
    }
  }
  return Status::Ok();
}

Status PreTokenizer::Split(std::string_view text, std::vector<std::string>* pieces) const {
  std::vector<std::string> current;
  if (!text.empty()) current.emplace_back(text);
  std::vector<std::string> next;
  for (const SplitStep& step : steps_) {
    next.clear();
    for (const std::string& piece : current) {
      if (!step.regex) {
        next.push_back(piece.starts_with(' ') ? piece : " " + piece);
        continue;
      }
      MIXQ_RETURN_IF_ERROR(ApplySplit(step, piece, &next));
    }
    current.swap(next);
  }
  for (auto& piece : current) pieces->push_back(std::move(piece));
  return Status::Ok();
}

}  // namespace mixq::tok
