#include "mixq/tokenizer/hf_json_fields.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mixq::tok {

// "model.merges[12]" is shown as 'model.merges'[12]: the key path quoted, indices after it.
Status JsonFields::Error(const std::string& field, const std::string& message) const {
  const size_t bracket = field.find('[');
  if (bracket == std::string::npos) return Err("[tokenizer] {}: '{}': {}", path_, field, message);
  return Err("[tokenizer] {}: '{}'{}: {}", path_, field.substr(0, bracket), field.substr(bracket), message);
}

Result<bool> JsonFields::Bool(const Json& obj, const std::string& key, const std::string& field, bool fallback) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Error(field, fmt::format("expected true/false, got {}", it->type_name()));
  return it->get<bool>();
}

Result<std::string> JsonFields::String(const Json& obj, const std::string& key, const std::string& field,
                                       const std::string& fallback) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Error(field, fmt::format("expected a string, got {}", it->type_name()));
  return it->get<std::string>();
}

Result<std::string> JsonFields::RequiredString(const Json& obj, const std::string& key, const std::string& field) const {
  auto it = obj.find(key);
  if (it == obj.end()) return Error(field, "missing");
  if (!it->is_string()) return Error(field, fmt::format("expected a string, got {}", it->type_name()));
  return it->get<std::string>();
}

Result<int64_t> JsonFields::RequiredInt(const Json& obj, const std::string& key, const std::string& field) const {
  auto it = obj.find(key);
  if (it == obj.end()) return Error(field, "missing");
  if (!it->is_number_integer()) return Error(field, fmt::format("expected an integer, got {}", it->type_name()));
  return it->get<int64_t>();
}

Result<const Json*> JsonFields::RequiredArray(const Json& obj, const std::string& key, const std::string& field) const {
  auto it = obj.find(key);
  if (it == obj.end()) return Error(field, "missing");
  if (!it->is_array()) return Error(field, fmt::format("expected an array, got {}", it->type_name()));
  return &*it;
}

Result<const Json*> JsonFields::RequiredObject(const Json& obj, const std::string& key, const std::string& field) const {
  auto it = obj.find(key);
  if (it == obj.end()) return Error(field, "missing");
  if (!it->is_object()) return Error(field, fmt::format("expected an object, got {}", it->type_name()));
  return &*it;
}

Result<Json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err("[tokenizer] {}: cannot open: {}", path, std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return Json::parse(buffer.str());
  } catch (const Json::parse_error& e) {
    return Err("[tokenizer] {}: malformed JSON at byte {}: {}", path, e.byte, e.what());
  }
}

}  // namespace mixq::tok
