#include "mixq/tokenizer/bpe_model.h"

#include "mixq/tokenizer/pair_merge.h"

namespace mixq::tok {

Result<BpeModel> BpeModel::Create(std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> vocab,
                                  const std::vector<std::pair<std::string, std::string>>& merges,
                                  const std::string& where, const std::string& merges_field) {
  BpeModel model;
  model.vocab_ = std::move(vocab);
  model.merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [a, b] = merges[i];
    const int32_t ia = model.Lookup(a), ib = model.Lookup(b), merged = model.Lookup(a + b);
    const char* missing = ia < 0 ? "left part" : ib < 0 ? "right part" : merged < 0 ? "merged piece" : nullptr;
    if (missing)
      return Err("{}: '{}'[{}]: {} of merge \"{} {}\" is not in the vocabulary", where, merges_field, i, missing, a, b);
    // A repeated pair keeps its first (best) rank.
    model.merges_.emplace(PairKey(ia, ib), Merge{static_cast<int32_t>(i), merged});
  }
  return model;
}

int32_t BpeModel::Lookup(std::string_view piece) const {
  auto it = vocab_.find(piece);
  return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::EncodeWord(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (int32_t id = Lookup(word); id >= 0) {
      ids->push_back(id);
      return;
    }
  }
  std::vector<MergeSymbol> symbols;
  for (size_t i = 0; i < word.size();) {
    size_t len = std::min<size_t>(Utf8SequenceLength(static_cast<uint8_t>(word[i])), word.size() - i);
    std::string_view ch = word.substr(i, len);
    i += len;
    if (int32_t id = Lookup(ch); id >= 0) {
      symbols.push_back({std::string(ch), id});
    } else if (byte_fallback_) {
      for (char b : ch)
        if (int32_t byte_id = Lookup(BytePieceName(static_cast<uint8_t>(b))); byte_id >= 0)
          symbols.push_back({std::string(), byte_id});
    } else if (unk_id_ >= 0) {
      symbols.push_back({std::string(), unk_id_});
    }
  }
  MergePairs(&symbols, [this](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<MergeCandidate> {
    auto it = merges_.find(PairKey(l.id, r.id));
    if (it == merges_.end()) return std::nullopt;
    return MergeCandidate{-static_cast<double>(it->second.rank), it->second.id};
  });
  for (const MergeSymbol& s : symbols) ids->push_back(s.id);
}

}  // namespace mixq::tok
