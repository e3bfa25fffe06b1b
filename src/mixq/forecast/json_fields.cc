#include "mixq/forecast/json_fields.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace mixq::forecast {

Status JsonSource::FieldError(const std::string& field, const std::string& what) const {
  return Err("[{}] {}: '{}': {}", tag, file, field, what);
}

Status JsonSource::FileError(const std::string& what) const { return Err("[{}] {}: {}", tag, file, what); }

Result<std::string> ReadTextFile(const std::string& path, const std::string& tag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err("[{}] {}: cannot open file", tag, path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Err("[{}] {}: read error", tag, path);
  return ss.str();
}

Result<Json> ParseJsonObject(const std::string& text, const JsonSource& src) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) {
    // Re-parse with exceptions only to recover the position for the message; nlohmann reports
    // the byte offset in its exception text.
    try {
      Json again = Json::parse(text, nullptr, true, true);
      (void)again;
    } catch (const Json::parse_error& e) {
      return src.FileError(fmt::format("malformed JSON at byte {}: {}", e.byte, e.what()));
    }
    return src.FileError("malformed JSON");
  }
  if (!root.is_object()) return src.FileError("the top level must be a JSON object");
  return root;
}

std::string FieldPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

Result<std::optional<double>> OptionalNumber(const Json& obj, const std::string& key, const std::string& path,
                                             const JsonSource& src, std::string* source_out) {
  const std::string field = FieldPath(path, key);
  auto it = obj.find(key);
  if (it == obj.end()) return std::optional<double>();
  const Json* number = &*it;
  if (it->is_object()) {
    auto value = it->find("value");
    if (value == it->end()) return src.FieldError(field, "object has no 'value'");
    number = &*value;
    auto source = it->find("source");
    if (source != it->end()) {
      if (!source->is_string()) return src.FieldError(field + ".source", "must be a string");
      if (source_out) *source_out = source->get<std::string>();
    }
  } else if (source_out) {
    source_out->clear();
  }
  if (!number->is_number()) return src.FieldError(field, "must be a number");
  double v = number->get<double>();
  if (!std::isfinite(v)) return src.FieldError(field, "must be finite");
  return std::optional<double>(v);
}

Result<double> RequiredNumber(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                              std::string* source_out) {
  MIXQ_ASSIGN_OR_RETURN(std::optional<double> v, OptionalNumber(obj, key, path, src, source_out));
  if (!v) return src.FieldError(FieldPath(path, key), "missing");
  return *v;
}

Result<double> PositiveNumber(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                              std::string* source_out) {
  MIXQ_ASSIGN_OR_RETURN(double v, RequiredNumber(obj, key, path, src, source_out));
  if (!(v > 0)) return src.FieldError(FieldPath(path, key), fmt::format("must be positive, got {}", v));
  return v;
}

Result<int64_t> IntegerOr(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                          int64_t fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_number_integer()) return src.FieldError(FieldPath(path, key), "must be an integer");
  return it->get<int64_t>();
}

Result<std::optional<std::string>> OptionalString(const Json& obj, const std::string& key, const std::string& path,
                                                  const JsonSource& src) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::optional<std::string>();
  if (!it->is_string()) return src.FieldError(FieldPath(path, key), "must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<bool> BoolOr(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                    bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) return src.FieldError(FieldPath(path, key), "must be true or false");
  return it->get<bool>();
}

Result<const Json*> OptionalObject(const Json& obj, const std::string& key, const std::string& path,
                                   const JsonSource& src) {
  auto it = obj.find(key);
  if (it == obj.end()) return static_cast<const Json*>(nullptr);
  if (!it->is_object()) return src.FieldError(FieldPath(path, key), "must be an object");
  return &*it;
}

Status CheckSchemaVersion(const Json& root, const JsonSource& src) {
  MIXQ_ASSIGN_OR_RETURN(int64_t version, IntegerOr(root, "schema_version", "", src, -1));
  if (version == -1) return src.FieldError("schema_version", "missing");
  if (version != 1) return src.FieldError("schema_version", fmt::format("unsupported version {} (expected 1)", version));
  return Status::Ok();
}

Json Quantity(double value, const std::string& source) { return Json{{"value", value}, {"source", source}}; }

}  // namespace mixq::forecast
