#include "mixq/tokenizer/spm_vocab_tokenizer.h"

namespace mixq {

using tok::SpmPieceType;
using MergeHistory = std::unordered_map<std::string, std::pair<std::string, std::string>>;

SpmVocabTokenizer::SpmVocabTokenizer(SpmVocab vocab) : vocab_(std::move(vocab)), inner_(vocab_.pieces) {}

Result<std::unique_ptr<SpmVocabTokenizer>> SpmVocabTokenizer::Create(SpmVocab vocab) {
  const size_t n = vocab.pieces.size();
  if (vocab.scores.size() != n || vocab.types.size() != n)
    return Err("[tokenizer] {}: {} pieces but {} scores and {} types", vocab.source, n, vocab.scores.size(),
               vocab.types.size());
  for (int32_t* id : {&vocab.bos_id, &vocab.eos_id, &vocab.unk_id})
    if (*id >= static_cast<int64_t>(n)) return Err("[tokenizer] {}: special token id {} >= vocabulary size {}", vocab.source, *id, n);
  std::unique_ptr<SpmVocabTokenizer> tok(new SpmVocabTokenizer(std::move(vocab)));
  const SpmVocab& v = tok->vocab_;
  tok->byte_ids_.fill(-1);
  tok->surfaces_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    const std::string& piece = v.pieces[id];
    const SpmPieceType type = v.types[id];
    auto surface = tok::SpmPieceSurface(type, piece);
    if (!surface.ok()) return Err("[tokenizer] {}: token {}: {}", v.source, id, surface.message());
    tok->surfaces_.push_back(std::move(surface).value());
    const auto i = static_cast<int32_t>(id);
    if (type == SpmPieceType::kByte) {
      const uint8_t byte = *tok::ParseBytePiece(piece);  // checked by SpmPieceSurface
      if (tok->byte_ids_[byte] < 0) tok->byte_ids_[byte] = i;
      tok->has_byte_pieces_ = true;
    } else if (type == SpmPieceType::kNormal || type == SpmPieceType::kUserDefined || type == SpmPieceType::kUnused) {
      tok->mergeable_.emplace(piece, i);
      if (type == SpmPieceType::kUserDefined) tok->user_defined_.Add({i, piece, false, false, false});
    }
  }
  return tok;
}

int32_t SpmVocabTokenizer::LookupMergeable(std::string_view piece) const {
  auto it = mergeable_.find(piece);
  return it == mergeable_.end() ? -1 : it->second;
}

// One final symbol: its piece (unused pieces split back along their merge history), or its
// bytes, or <unk>.
void SpmVocabTokenizer::EmitSymbol(const std::string& text, const MergeHistory& history, bool* last_unknown,
                                   std::vector<int32_t>* ids) const {
  const int32_t id = LookupMergeable(text);
  if (id >= 0 && vocab_.types[id] == SpmPieceType::kUnused) {
    if (auto it = history.find(text); it != history.end()) {
      EmitSymbol(it->second.first, history, last_unknown, ids);
      EmitSymbol(it->second.second, history, last_unknown, ids);
      return;
    }
  }
  if (id >= 0 && vocab_.types[id] != SpmPieceType::kUnused) {
    ids->push_back(id);
    *last_unknown = false;
    return;
  }
  if (has_byte_pieces_) {
    for (char c : text) {
      const int32_t byte_id = byte_ids_[static_cast<uint8_t>(c)];
      ids->push_back(byte_id >= 0 ? byte_id : vocab_.unk_id);
    }
    *last_unknown = false;
    return;
  }
  if (!*last_unknown && vocab_.unk_id >= 0) ids->push_back(vocab_.unk_id);
  *last_unknown = true;
}

Result<std::vector<int32_t>> SpmVocabTokenizer::Encode(const std::string& text) const {
  std::vector<int32_t> ids;
  if (text.empty()) return ids;
  std::string normalized = tok::ReplaceAll(text, " ", tok::kSpaceSymbol);
  if (vocab_.add_space_prefix) normalized.insert(0, tok::kSpaceSymbol);

  std::vector<tok::MergeSymbol> symbols;
  for (const tok::TextSegment& segment : user_defined_.Split(normalized)) {
    if (segment.token >= 0) {
      symbols.push_back({vocab_.pieces[segment.token], segment.token});
      continue;
    }
    const std::string_view s = segment.text;
    for (size_t i = 0; i < s.size();) {
      const size_t len = std::min<size_t>(tok::Utf8SequenceLength(static_cast<uint8_t>(s[i])), s.size() - i);
      symbols.push_back({std::string(s.substr(i, len)), -1});
      i += len;
    }
  }

  MergeHistory history;  // merged unused piece -> its two parts
  auto is_barrier = [this](const tok::MergeSymbol& s) { return inner_.NeverMerges(s.text); };
  tok::MergePairsBetweenBarriers(&symbols, is_barrier, [&](const tok::MergeSymbol& a, const tok::MergeSymbol& b)
                                                           -> std::optional<tok::MergeCandidate> {
    std::string merged = a.text + b.text;
    const int32_t id = LookupMergeable(merged);
    if (id < 0) return std::nullopt;
    if (vocab_.types[id] == SpmPieceType::kUnused) history.emplace(std::move(merged), std::make_pair(a.text, b.text));
    return tok::MergeCandidate{vocab_.scores[id], id};
  });

  bool last_unknown = false;
  for (const tok::MergeSymbol& s : symbols) EmitSymbol(s.text, history, &last_unknown, &ids);
  return ids;
}

std::string SpmVocabTokenizer::DecodeToken(int32_t prev_token, int32_t token) const {
  if (token < 0 || token >= vocab_size()) return "";
  return tok::SpmSurfaceAfter(surfaces_[token], vocab_.types[token], prev_token, vocab_.bos_id, vocab_.add_space_prefix);
}

}  // namespace mixq
