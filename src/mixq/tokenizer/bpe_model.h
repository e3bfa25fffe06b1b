// The merge-rank BPE model of byte-level tokenizers (GPT-2, Llama 3, Qwen2, SmolLM): a
// vocabulary of strings over the byte-level alphabet and an ordered list of merges "a b".
// A word starts as its characters (code points) and repeatedly merges the adjacent pair with
// the lowest rank, leftmost first, until no listed pair remains.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/tokenizer/text_util.h"

namespace mixq::tok {

class BpeModel {
 public:
  // `where` prefixes errors. Every merge's parts and result must be in the vocabulary; an error
  // names the merge by its index ("'model.merges'[12]").
  static Result<BpeModel> Create(std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> vocab,
                                 const std::vector<std::pair<std::string, std::string>>& merges,
                                 const std::string& where, const std::string& merges_field);

  // ignore_merges (Llama 3): a word that is itself in the vocabulary is one token, even when
  // the merges would split it differently.
  void set_ignore_merges(bool on) { ignore_merges_ = on; }
  // Token for characters missing from the vocabulary (-1: drop them, as Hugging Face does
  // when the model has no unk_token).
  void set_unk_id(int32_t id) { unk_id_ = id; }
  // byte_fallback: a missing character becomes its UTF-8 bytes as "<0xAB>" tokens.
  void set_byte_fallback(bool on) { byte_fallback_ = on; }

  // Appends the ids of one pre-tokenized, byte-level-mapped word.
  void EncodeWord(std::string_view word, std::vector<int32_t>* ids) const;

  int32_t Lookup(std::string_view piece) const;  // -1 when absent
  const auto& vocab() const { return vocab_; }
  // The merges as (left id, right id) in rank order, e.g. to export them (tokenizer/vocab_export.h).
  std::vector<std::pair<int32_t, int32_t>> MergesByRank() const {
    std::vector<std::pair<int32_t, uint64_t>> ranked;
    ranked.reserve(merges_.size());
    for (const auto& [key, merge] : merges_) ranked.emplace_back(merge.rank, key);
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::pair<int32_t, int32_t>> out;
    out.reserve(ranked.size());
    for (const auto& [rank, key] : ranked)
      out.emplace_back(static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xffffffffu));
    return out;
  }

 private:
  struct Merge {
    int32_t rank;
    int32_t id;
  };
  static uint64_t PairKey(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> rank and merged id
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  int32_t unk_id_ = -1;
};

}  // namespace mixq::tok
