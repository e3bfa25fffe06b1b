#include "mixq/tokenizer/llama2c_tokenizer.h"

#include <cstring>

#include "mixq/tensor/mapped_file.h"
#include "mixq/tokenizer/pair_merge.h"

namespace mixq {
namespace {

template <typename T>
T ReadLe(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // x86/ARM hosts are little-endian, like the files
  return value;
}

}  // namespace

Result<std::unique_ptr<Llama2cTokenizer>> Llama2cTokenizer::Load(const std::string& path, int32_t vocab_size) {
  MIXQ_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  const uint8_t* data = file->data();
  const size_t size = file->size();
  if (size < 4) return Err("[tokenizer] {}: file too small for the max_token_length header ({} bytes)", path, size);
  std::unique_ptr<Llama2cTokenizer> tok(new Llama2cTokenizer());
  tok->max_token_length_ = ReadLe<int32_t>(data);
  if (tok->max_token_length_ <= 0)
    return Err("[tokenizer] {}: max_token_length is {}, expected > 0", path, tok->max_token_length_);
  size_t offset = 4;
  for (int32_t id = 0; vocab_size <= 0 ? offset < size : id < vocab_size; ++id) {
    if (size - offset < 8)
      return Err("[tokenizer] {}: token {}: truncated at byte {} (score and length need 8, {} left; "
                 "the model expects {} tokens)", path, id, offset, size - offset, vocab_size);
    float score = ReadLe<float>(data + offset);
    int32_t len = ReadLe<int32_t>(data + offset + 4);
    offset += 8;
    if (len < 0 || static_cast<size_t>(len) > size - offset)
      return Err("[tokenizer] {}: token {}: length {} at byte {} runs past the end of the file ({} bytes)", path, id,
                 len, offset - 4, size);
    tok->pieces_.emplace_back(reinterpret_cast<const char*>(data + offset), static_cast<size_t>(len));
    tok->scores_.push_back(score);
    tok->piece_to_id_.emplace(tok->pieces_.back(), id);
    offset += static_cast<size_t>(len);
  }
  if (tok->pieces_.size() < 3) return Err("[tokenizer] {}: {} tokens; expected at least <unk>, <s>, </s>", path, tok->pieces_.size());
  tok->FindNeverMerging();
  tok->has_byte_tokens_ = tok->pieces_.size() >= 259;
  for (int b = 0; b < 256 && tok->has_byte_tokens_; ++b)
    tok->has_byte_tokens_ = tok::ParseBytePiece(tok->pieces_[b + 3]) == static_cast<uint8_t>(b);
  return tok;
}

void Llama2cTokenizer::FindNeverMerging() {
  const tok::InnerPieceIndex index(pieces_);
  never_merges_.assign(pieces_.size(), false);
  for (size_t id = 0; id < pieces_.size(); ++id) never_merges_[id] = index.NeverMerges(pieces_[id]);
}

int32_t Llama2cTokenizer::Lookup(std::string_view piece) const {
  auto it = piece_to_id_.find(piece);
  return it == piece_to_id_.end() ? -1 : it->second;
}

Result<std::vector<int32_t>> Llama2cTokenizer::Encode(const std::string& text) const {
  std::vector<tok::MergeSymbol> symbols;
  auto push_id = [&](int32_t id) { symbols.push_back({pieces_[id], id}); };
  if (!text.empty()) {
    int32_t dummy = Lookup(" ");
    if (dummy >= 0) push_id(dummy);
  }
  // run.c's code point grouping: a new group starts at every non-continuation byte, and a group
  // is flushed before its next byte unless that byte is a continuation and the group has < 4.
  std::string group;
  bool last_was_unknown = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if ((c & 0xC0) != 0x80) group.clear();
    group += static_cast<char>(c);
    const bool next_continues = i + 1 < text.size() && (static_cast<uint8_t>(text[i + 1]) & 0xC0) == 0x80;
    if (next_continues && group.size() < 4) continue;
    int32_t id = Lookup(group);
    if (id >= 0) {
      push_id(id);
    } else if (has_byte_tokens_) {
      for (char b : group) push_id(static_cast<uint8_t>(b) + 3);
    } else if (!last_was_unknown) {
      push_id(0);  // one <unk> for a run of unknown code points, as SentencePiece does
    }
    last_was_unknown = id < 0;
    group.clear();
  }
  const int32_t max_len = max_token_length_;
  auto is_barrier = [this](const tok::MergeSymbol& s) { return never_merges_[s.id]; };
  tok::MergePairsBetweenBarriers(&symbols, is_barrier, [&](const tok::MergeSymbol& a, const tok::MergeSymbol& b) -> std::optional<tok::MergeCandidate> {
    if (static_cast<int64_t>(a.text.size() + b.text.size()) > max_len) return std::nullopt;  // cannot be a piece
    int32_t id = Lookup(a.text + b.text);
    if (id < 0) return std::nullopt;
    return tok::MergeCandidate{scores_[id], id};
  });
  std::vector<int32_t> ids;
  ids.reserve(symbols.size());
  for (const auto& s : symbols) ids.push_back(s.id);
  return ids;
}

std::string Llama2cTokenizer::DecodeToken(int32_t prev_token, int32_t token) const {
  if (token < 0 || token >= vocab_size()) return "";
  std::string_view piece = pieces_[token];
  if (prev_token == 1 && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
  if (std::optional<uint8_t> byte = tok::ParseBytePiece(piece)) return std::string(1, static_cast<char>(*byte));
  return std::string(piece);
}

}  // namespace mixq
