#include "mixq/tokenizer/vocab_export.h"

#include <sentencepiece_processor.h>

#include <unordered_map>

#include "mixq/io/gguf_writer.h"
#include "mixq/tokenizer/bpe_tokenizer.h"
#include "mixq/tokenizer/gguf_pre_tokenizers.h"
#include "mixq/tokenizer/llama2c_tokenizer.h"
#include "mixq/tokenizer/sentencepiece_tokenizer.h"
#include "mixq/tokenizer/text_util.h"

namespace mixq {
namespace {

using tok::SpmPieceType;

// The arrays and ids both vocabulary kinds share.
struct ExportedVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;  // "llama" only
  std::vector<int32_t> types;
  int32_t bos = -1, eos = -1, unk = -1, pad = -1;
  bool add_bos = false;
};

Status PadTo(int64_t vocab_size, ExportedVocab* v, const std::string& source) {
  if (static_cast<int64_t>(v->tokens.size()) > vocab_size)
    return Err("[tokenizer] {}: the tokenizer has {} tokens but the model's vocab_size is {}", source, v->tokens.size(),
               vocab_size);
  for (int64_t id = static_cast<int64_t>(v->tokens.size()); id < vocab_size; ++id) {
    v->tokens.push_back(fmt::format("[PAD{}]", id));
    if (!v->scores.empty()) v->scores.push_back(-1000.0f);
    v->types.push_back(static_cast<int32_t>(SpmPieceType::kUnused));
  }
  return Status::Ok();
}

void AddIds(const ExportedVocab& v, std::vector<GgufKeyValue>* kv) {
  const std::pair<const char*, int32_t> ids[] = {{"tokenizer.ggml.bos_token_id", v.bos},
                                                 {"tokenizer.ggml.eos_token_id", v.eos},
                                                 {"tokenizer.ggml.unknown_token_id", v.unk},
                                                 {"tokenizer.ggml.padding_token_id", v.pad}};
  for (const auto& [key, id] : ids)
    if (id >= 0) kv->push_back({key, GgufU32(static_cast<uint32_t>(id))});
  kv->push_back({"tokenizer.ggml.add_bos_token", GgufBool(v.add_bos)});
  kv->push_back({"tokenizer.ggml.add_eos_token", GgufBool(false)});
}

std::vector<GgufKeyValue> LlamaKeys(const ExportedVocab& v, bool add_space_prefix) {
  std::vector<GgufKeyValue> kv = {{"tokenizer.ggml.model", GgufString("llama")},
                                  {"tokenizer.ggml.tokens", GgufStringArray(v.tokens)},
                                  {"tokenizer.ggml.scores", GgufF32Array(v.scores)},
                                  {"tokenizer.ggml.token_type", GgufI32Array(v.types)}};
  AddIds(v, &kv);
  kv.push_back({"tokenizer.ggml.add_space_prefix", GgufBool(add_space_prefix)});
  return kv;
}

ExportedVocab FromSentencePiece(const SentencePieceTokenizer& tok) {
  const sentencepiece::SentencePieceProcessor& sp = tok.processor();
  ExportedVocab v;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    v.tokens.push_back(sp.IdToPiece(id));
    v.scores.push_back(sp.GetScore(id));
    v.types.push_back(static_cast<int32_t>(tok.piece_type(id)));
  }
  v.bos = tok.bos_id();
  v.eos = tok.eos_id();
  v.unk = sp.unk_id();
  v.pad = sp.pad_id();
  v.add_bos = tok.add_bos();
  return v;
}

bool IsBytePiece(const std::string& p) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); };
  return p.size() == 6 && p.starts_with("<0x") && p[5] == '>' && hex(p[3]) && hex(p[4]);
}

// llama2.c pieces use ' ' for SentencePiece's U+2581 and store BOS/EOS with newlines around.
ExportedVocab FromLlama2c(const Llama2cTokenizer& tok) {
  ExportedVocab v;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    std::string piece = tok.piece(id);
    SpmPieceType type = SpmPieceType::kNormal;
    if (id == 0) {
      piece = "<unk>";
      type = SpmPieceType::kUnknown;
    } else if (id == tok.bos_id() || id == tok.eos_id()) {
      piece = id == tok.bos_id() ? "<s>" : "</s>";
      type = SpmPieceType::kControl;
    } else if (piece.empty()) {
      type = SpmPieceType::kControl;
    } else if (IsBytePiece(piece)) {
      type = SpmPieceType::kByte;
    } else {
      std::string escaped;
      for (char c : piece) escaped += c == ' ' ? std::string(tok::kSpaceSymbol) : std::string(1, c);
      piece = std::move(escaped);
    }
    v.tokens.push_back(std::move(piece));
    v.scores.push_back(tok.score(id));
    v.types.push_back(static_cast<int32_t>(type));
  }
  v.bos = tok.bos_id();
  v.eos = tok.eos_id();
  v.unk = 0;
  v.add_bos = tok.add_bos();
  return v;
}

// Text that tells the GGUF pre-tokenizers apart: digit runs (gpt-2 keeps them whole, llama-bpe
// cuts threes, qwen2 and smollm single digits), upper-case contractions (llama-bpe and qwen2
// match them case-insensitively), punctuation before letters and newlines, whitespace runs.
constexpr const char* kFingerprint =
    "Hello World! I'M here, YOU'RE there; it's 1234567 or 3.14159 (x2) $100\n\n\n   spaces\tand\ttabs  \n"
    "\"quoted\"...  end.\r\n--dashes-- a+b=c élan naïve Ünïcode 日本語 😀 don'T WE'LL\n 42";

// Builds the byte-level BPE tokenizer mixq's GGUF reader makes of these arrays with the
// pre-tokenizer `pre` (gguf_tokenizer.cc does the same from the file).
Result<std::unique_ptr<ByteLevelBpeTokenizer>> GgufBpeCandidate(const ExportedVocab& v,
                                                                const std::vector<std::pair<std::string, std::string>>& merges,
                                                                const std::string& pre, const std::string& source) {
  ByteLevelBpeConfig config;
  config.source = source;
  config.vocab_size = static_cast<int32_t>(v.tokens.size());
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> vocab;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    const auto type = static_cast<SpmPieceType>(v.types[i]);
    if (type == SpmPieceType::kControl || type == SpmPieceType::kUserDefined)
      config.added_tokens.Add({id, v.tokens[i], type == SpmPieceType::kControl, false, false});
    vocab.emplace(v.tokens[i], id);
  }
  MIXQ_ASSIGN_OR_RETURN(config.model, tok::BpeModel::Create(std::move(vocab), merges, "[tokenizer] " + source,
                                                             "tokenizer.ggml.merges"));
  MIXQ_RETURN_IF_ERROR(tok::BuildGgufPreTokenizer(pre, "[tokenizer] " + source, &config.pre_tokenizer));
  config.bos_id = v.bos;
  config.eos_id = v.eos;
  config.add_bos = v.add_bos;
  return std::make_unique<ByteLevelBpeTokenizer>(std::move(config));
}

// The first GGUF pre-tokenizer whose tokenizer encodes the fingerprint as the source does.
Result<std::string> MatchPreTokenizer(const ByteLevelBpeTokenizer& source_tok, const ExportedVocab& v,
                                      const std::vector<std::pair<std::string, std::string>>& merges,
                                      const std::string& source) {
  MIXQ_ASSIGN_OR_RETURN(const std::vector<int32_t> want, source_tok.Encode(kFingerprint));
  for (const char* pre : {"gpt-2", "llama-bpe", "qwen2", "smollm"}) {
    MIXQ_ASSIGN_OR_RETURN(auto candidate, GgufBpeCandidate(v, merges, pre, source));
    MIXQ_ASSIGN_OR_RETURN(const std::vector<int32_t> got, candidate->Encode(kFingerprint));
    if (got == want) return std::string(pre);
  }
  return Err("[tokenizer] {}: the tokenizer's pre-tokenizer matches none of the GGUF pre-tokenizers mixq writes "
             "(gpt-2, llama-bpe, qwen2, smollm); exporting it would change how text is tokenized", source);
}

Result<std::vector<GgufKeyValue>> FromByteLevelBpe(const ByteLevelBpeTokenizer& tok, int64_t vocab_size,
                                                   const std::string& source) {
  const ByteLevelBpeConfig& config = tok.config();
  ExportedVocab v;
  std::vector<std::string> pieces(static_cast<size_t>(tok.vocab_size()));
  std::vector<bool> present(pieces.size(), false);
  v.types.assign(pieces.size(), static_cast<int32_t>(SpmPieceType::kNormal));
  for (const auto& [piece, id] : config.model.vocab()) {
    if (id < 0 || id >= tok.vocab_size()) return Err("[tokenizer] {}: token id {} out of range", source, id);
    pieces[id] = piece;
    present[id] = true;
  }
  v.tokens = pieces;
  for (const tok::AddedToken& t : config.added_tokens.tokens()) {
    if (t.id < 0 || t.id >= tok.vocab_size()) return Err("[tokenizer] {}: added token id {} out of range", source, t.id);
    v.tokens[t.id] = t.content;
    v.types[t.id] = static_cast<int32_t>(t.special ? SpmPieceType::kControl : SpmPieceType::kUserDefined);
    present[t.id] = true;
  }
  for (size_t id = 0; id < present.size(); ++id)
    if (!present[id]) {
      v.tokens[id] = fmt::format("[PAD{}]", id);
      v.types[id] = static_cast<int32_t>(SpmPieceType::kUnused);
    }
  v.bos = config.bos_id;
  v.eos = config.eos_id;
  v.add_bos = config.add_bos;
  MIXQ_RETURN_IF_ERROR(PadTo(vocab_size, &v, source));

  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<std::string> merge_strings;
  for (const auto& [left, right] : config.model.MergesByRank()) {
    merges.emplace_back(pieces[left], pieces[right]);
    merge_strings.push_back(pieces[left] + " " + pieces[right]);
  }
  MIXQ_ASSIGN_OR_RETURN(const std::string pre, MatchPreTokenizer(tok, v, merges, source));
  std::vector<GgufKeyValue> kv = {{"tokenizer.ggml.model", GgufString("gpt2")},
                                  {"tokenizer.ggml.pre", GgufString(pre)},
                                  {"tokenizer.ggml.tokens", GgufStringArray(v.tokens)},
                                  {"tokenizer.ggml.token_type", GgufI32Array(v.types)},
                                  {"tokenizer.ggml.merges", GgufStringArray(merge_strings)}};
  AddIds(v, &kv);
  return kv;
}

}  // namespace

Result<std::vector<GgufKeyValue>> GgufVocabularyMetadata(const Tokenizer& tokenizer, int64_t vocab_size,
                                                         const std::string& source) {
  if (const auto* bpe = dynamic_cast<const ByteLevelBpeTokenizer*>(&tokenizer))
    return FromByteLevelBpe(*bpe, vocab_size, source);
  ExportedVocab v;
  bool add_space_prefix = true;
  if (const auto* spm = dynamic_cast<const SentencePieceTokenizer*>(&tokenizer)) {
    v = FromSentencePiece(*spm);
    add_space_prefix = spm->adds_dummy_prefix();
  } else if (const auto* l2c = dynamic_cast<const Llama2cTokenizer*>(&tokenizer)) {
    v = FromLlama2c(*l2c);
  } else {
    return Err("[tokenizer] {}: this kind of tokenizer cannot be exported to GGUF (SentencePiece .model, llama2.c "
               "tokenizer.bin and byte-level BPE tokenizer.json can)", source);
  }
  MIXQ_RETURN_IF_ERROR(PadTo(vocab_size, &v, source));
  return LlamaKeys(v, add_space_prefix);
}

}  // namespace mixq
