// The greedy pair-merging loop shared by every BPE flavour in this module:
//   - llama2.c and SentencePiece BPE merge the adjacent pair whose concatenation is the
//     vocabulary piece with the highest score;
//   - GPT-2 byte-level BPE merges the adjacent pair with the lowest merge rank.
// Both reduce to "repeatedly merge the adjacent pair with the highest priority; on ties, the
// leftmost pair", which is what llama2.c's run.c does with its linear scan (strict `>`), what
// SentencePiece's agenda does, and what GPT-2's "merge every occurrence left to right" does.
// A priority queue keeps long inputs (a whole document for SentencePiece, which does not
// pre-split) at O(n log n) instead of run.c's O(n^2).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mixq::tok {

struct MergeSymbol {
  std::string text;  // what the pair function sees; concatenated on merge
  int32_t id = -1;   // token id, or -1 when the symbol is not (yet) a vocabulary piece
};

struct MergeCandidate {
  double priority = 0;  // higher merges first (score, or -rank)
  int32_t id = -1;      // id of the merged symbol
};

// Returns the merge for an adjacent pair, or nullopt when the pair does not merge.
using PairMergeFn = std::function<std::optional<MergeCandidate>(const MergeSymbol& left, const MergeSymbol& right)>;

// Merges `symbols` in place until no adjacent pair merges.
void MergePairs(std::vector<MergeSymbol>* symbols, const PairMergeFn& pair_fn);

// The same result, faster on long inputs: a "barrier" symbol (one that occurs in no longer
// piece, such as a newline byte token) can never merge, so the runs between barriers are
// merged independently. Merges in different runs never interact, so the greedy order within
// each run, and hence the result, is unchanged; the queue stays small and cache-resident.
void MergePairsBetweenBarriers(std::vector<MergeSymbol>* symbols, const std::function<bool(const MergeSymbol&)>& is_barrier,
                               const PairMergeFn& pair_fn);

// Which short strings occur strictly inside a longer vocabulary piece: a symbol whose text
// does not can never take part in a merge, so it is a barrier. Strings longer than
// `max_len` bytes are not indexed and count as mergeable (never a wrong barrier).
class InnerPieceIndex {
 public:
  explicit InnerPieceIndex(const std::vector<std::string>& pieces, size_t max_len = 6);
  bool NeverMerges(std::string_view text) const { return text.size() <= max_len_ && !inner_.count(std::string(text)); }

 private:
  size_t max_len_;
  std::unordered_set<std::string> inner_;
};

}  // namespace mixq::tok
