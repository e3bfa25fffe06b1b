#include "mixq/tokenizer/hf_tokenizer_json.h"

#include <fmt/format.h>

#include <exception>

#include "mixq/tokenizer/hf_json_fields.h"
#include "mixq/tokenizer/hf_pipeline_json.h"
#include "mixq/tokenizer/hf_special_tokens.h"

namespace mixq {
namespace {

using tok::Json;
using tok::JsonFields;
using Vocab = std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>>;

Result<Vocab> ParseVocab(const JsonFields& fields, const Json& model) {
  MIXQ_ASSIGN_OR_RETURN(const Json* vocab_json, fields.RequiredObject(model, "vocab", "model.vocab"));
  Vocab vocab;
  vocab.reserve(vocab_json->size());
  for (const auto& [piece, id] : vocab_json->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      return fields.Error("model.vocab", fmt::format("\"{}\": expected a non-negative integer id", piece));
    vocab.emplace(piece, id.get<int32_t>());
  }
  return vocab;
}

// "a b" strings (older files) or ["a", "b"] pairs (newer files, which allow spaces in pieces).
Result<std::vector<std::pair<std::string, std::string>>> ParseMerges(const JsonFields& fields, const Json& model) {
  MIXQ_ASSIGN_OR_RETURN(const Json* merges_json, fields.RequiredArray(model, "merges", "model.merges"));
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(merges_json->size());
  for (size_t i = 0; i < merges_json->size(); ++i) {
    const Json& m = (*merges_json)[i];
    const std::string field = fmt::format("model.merges[{}]", i);
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return fields.Error(field, fmt::format("\"{}\" is not two pieces separated by one space", s));
      merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return fields.Error(field, "expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  return merges;
}

Result<tok::BpeModel> ParseModel(const JsonFields& fields, const Json& root) {
  MIXQ_ASSIGN_OR_RETURN(const Json* model, fields.RequiredObject(root, "model", "model"));
  MIXQ_ASSIGN_OR_RETURN(std::string type, fields.String(*model, "type", "model.type", "BPE"));
  if (type != "BPE")
    return fields.Error("model.type", fmt::format("\"{}\" is not supported (only byte-level BPE tokenizer.json; "
                                                  "SentencePiece models load from tokenizer.model)", type));
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    MIXQ_ASSIGN_OR_RETURN(std::string affix, fields.String(*model, key, std::string("model.") + key, ""));
    if (!affix.empty()) return fields.Error(std::string("model.") + key, "\"" + affix + "\" is not supported");
  }
  MIXQ_ASSIGN_OR_RETURN(Vocab vocab, ParseVocab(fields, *model));
  MIXQ_ASSIGN_OR_RETURN(auto merges, ParseMerges(fields, *model));
  MIXQ_ASSIGN_OR_RETURN(std::string unk, fields.String(*model, "unk_token", "model.unk_token", ""));
  const int32_t unk_id = unk.empty() ? -1 : (vocab.count(unk) ? vocab.at(unk) : -2);
  if (unk_id == -2) return fields.Error("model.unk_token", "\"" + unk + "\" is not in the vocabulary");
  MIXQ_ASSIGN_OR_RETURN(bool ignore_merges, fields.Bool(*model, "ignore_merges", "model.ignore_merges", false));
  MIXQ_ASSIGN_OR_RETURN(bool byte_fallback, fields.Bool(*model, "byte_fallback", "model.byte_fallback", false));
  MIXQ_ASSIGN_OR_RETURN(tok::BpeModel bpe,
                        tok::BpeModel::Create(std::move(vocab), merges, "[tokenizer] " + fields.path(), "model.merges"));
  bpe.set_ignore_merges(ignore_merges);
  bpe.set_byte_fallback(byte_fallback);
  bpe.set_unk_id(unk_id);
  return bpe;
}

Status ParseAddedTokens(const JsonFields& fields, const Json& root, tok::AddedTokenMatcher* out) {
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return fields.Error("added_tokens", "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& t = (*it)[i];
    const std::string field = fmt::format("added_tokens[{}]", i);
    if (!t.is_object()) return fields.Error(field, "expected an object");
    tok::AddedToken token;
    MIXQ_ASSIGN_OR_RETURN(int64_t id, fields.RequiredInt(t, "id", field + ".id"));
    if (id < 0 || id > INT32_MAX) return fields.Error(field + ".id", fmt::format("{} is out of range", id));
    token.id = static_cast<int32_t>(id);
    MIXQ_ASSIGN_OR_RETURN(token.content, fields.RequiredString(t, "content", field + ".content"));
    MIXQ_ASSIGN_OR_RETURN(token.special, fields.Bool(t, "special", field + ".special", false));
    MIXQ_ASSIGN_OR_RETURN(token.lstrip, fields.Bool(t, "lstrip", field + ".lstrip", false));
    MIXQ_ASSIGN_OR_RETURN(token.rstrip, fields.Bool(t, "rstrip", field + ".rstrip", false));
    out->Add(std::move(token));
  }
  return Status::Ok();
}

Status CheckDecoder(const JsonFields& fields, const Json& root) {
  auto it = root.find("decoder");
  if (it == root.end() || it->is_null()) return fields.Error("decoder", "missing; expected ByteLevel");
  if (!it->is_object()) return fields.Error("decoder", "expected an object");
  MIXQ_ASSIGN_OR_RETURN(std::string type, fields.RequiredString(*it, "type", "decoder.type"));
  if (type != "ByteLevel")
    return fields.Error("decoder.type", fmt::format("\"{}\" is not supported (only ByteLevel)", type));
  return Status::Ok();
}

Result<std::unique_ptr<ByteLevelBpeTokenizer>> Parse(const std::string& path, const Json& root) {
  JsonFields fields(path);
  if (!root.is_object()) return fields.Error("", "expected a JSON object at the top level");
  ByteLevelBpeConfig config;
  config.source = path;
  MIXQ_ASSIGN_OR_RETURN(config.model, ParseModel(fields, root));
  MIXQ_RETURN_IF_ERROR(ParseAddedTokens(fields, root, &config.added_tokens));
  MIXQ_RETURN_IF_ERROR(ParseNormalizer(fields, root.value("normalizer", Json()), "normalizer", &config.normalizer));
  bool byte_level = false;
  MIXQ_RETURN_IF_ERROR(
      ParsePreTokenizer(fields, root.value("pre_tokenizer", Json()), "pre_tokenizer", &config.pre_tokenizer, &byte_level));
  if (!byte_level) return fields.Error("pre_tokenizer", "no ByteLevel step; only byte-level BPE is supported");
  MIXQ_RETURN_IF_ERROR(CheckDecoder(fields, root));

  const tok::AddedTokenMatcher& added = config.added_tokens;
  const tok::BpeModel& model = config.model;
  auto token_id = [&](const std::string& text) -> int32_t {
    for (const auto& t : added.tokens())
      if (t.content == text) return t.id;
    return model.Lookup(text);
  };
  MIXQ_ASSIGN_OR_RETURN(tok::SpecialIds special, tok::ResolveSpecialIds(path, root, token_id));
  config.bos_id = special.bos_id;
  config.eos_id = special.eos_id;
  config.add_bos = special.add_bos && special.bos_id >= 0;
  return std::make_unique<ByteLevelBpeTokenizer>(std::move(config));
}

}  // namespace

Result<std::unique_ptr<ByteLevelBpeTokenizer>> LoadHfTokenizerJson(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(Json root, tok::ReadJsonFile(path));
  try {
    return Parse(path, root);
  } catch (const std::exception& e) {  // a JSON shape the field checks did not anticipate
    return Err("[tokenizer] {}: {}", path, e.what());
  }
}

}  // namespace mixq
