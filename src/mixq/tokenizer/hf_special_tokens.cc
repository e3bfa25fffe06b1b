#include "mixq/tokenizer/hf_special_tokens.h"

#include <filesystem>

namespace mixq::tok {
namespace {

// config.json: bos_token_id / eos_token_id (eos may be a list; the first one is the main one).
Status FromModelConfig(const std::string& path, SpecialIds* ids) {
  MIXQ_ASSIGN_OR_RETURN(Json config, ReadJsonFile(path));
  auto read = [&](const char* key, int32_t* out) {
    auto it = config.find(key);
    if (it == config.end()) return;
    if (it->is_number_integer()) *out = it->get<int32_t>();
    if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) *out = (*it)[0].get<int32_t>();
  };
  read("bos_token_id", &ids->bos_id);
  read("eos_token_id", &ids->eos_id);
  return Status::Ok();
}

// post_processor: TemplateProcessing (possibly inside a Sequence) whose "single" template
// starts with a SpecialToken, e.g. Llama 3's <|begin_of_text|> $A.
void FromPostProcessor(const Json& node, const std::function<int32_t(const std::string&)>& token_id, SpecialIds* ids) {
  if (!node.is_object()) return;
  if (node.value("type", "") == "Sequence" && node.contains("processors") && node["processors"].is_array()) {
    for (const Json& child : node["processors"]) FromPostProcessor(child, token_id, ids);
    return;
  }
  if (node.value("type", "") != "TemplateProcessing") return;
  auto single = node.find("single");
  if (single == node.end() || !single->is_array() || single->empty()) return;
  const Json& first = (*single)[0];
  if (!first.is_object() || !first.contains("SpecialToken")) return;
  const Json& special = first["SpecialToken"];
  if (!special.is_object() || !special.contains("id") || !special["id"].is_string()) return;
  const int32_t id = token_id(special["id"].get<std::string>());
  if (id < 0) return;
  ids->bos_id = id;
  ids->add_bos = true;
}

// tokenizer_config.json: bos_token / eos_token as a string or {"content": ...}; add_bos_token.
Status FromTokenizerConfig(const std::string& path, const std::function<int32_t(const std::string&)>& token_id,
                           SpecialIds* ids) {
  MIXQ_ASSIGN_OR_RETURN(Json config, ReadJsonFile(path));
  JsonFields fields(path);
  auto read = [&](const char* key, int32_t* out) -> Status {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return Status::Ok();
    std::string text;
    if (it->is_string()) {
      text = it->get<std::string>();
    } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
      text = (*it)["content"].get<std::string>();
    } else {
      return fields.Error(key, "expected a string or {\"content\": ...}");
    }
    const int32_t id = token_id(text);
    if (id < 0) return fields.Error(key, "\"" + text + "\" is not a token of the vocabulary");
    *out = id;
    return Status::Ok();
  };
  MIXQ_RETURN_IF_ERROR(read("bos_token", &ids->bos_id));
  MIXQ_RETURN_IF_ERROR(read("eos_token", &ids->eos_id));
  MIXQ_ASSIGN_OR_RETURN(ids->add_bos, fields.Bool(config, "add_bos_token", "add_bos_token", ids->add_bos));
  return Status::Ok();
}

}  // namespace

Result<SpecialIds> ResolveSpecialIds(const std::string& tokenizer_json_path, const Json& tokenizer_json,
                                     const std::function<int32_t(const std::string&)>& token_id) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(tokenizer_json_path).parent_path();
  std::error_code ec;
  SpecialIds ids;
  if (fs::is_regular_file(dir / "config.json", ec)) MIXQ_RETURN_IF_ERROR(FromModelConfig((dir / "config.json").string(), &ids));
  if (auto it = tokenizer_json.find("post_processor"); it != tokenizer_json.end()) FromPostProcessor(*it, token_id, &ids);
  if (fs::is_regular_file(dir / "tokenizer_config.json", ec))
    MIXQ_RETURN_IF_ERROR(FromTokenizerConfig((dir / "tokenizer_config.json").string(), token_id, &ids));
  return ids;
}

}  // namespace mixq::tok
