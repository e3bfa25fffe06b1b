// Reading tokenizer.json fields with errors that name the file and the field path:
// "[tokenizer] /m/tokenizer.json: 'model.merges'[12]: expected a string or a pair".
// nlohmann::json throws on type mismatches; these helpers check first so that nothing throws.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "mixq/base/status.h"

namespace mixq::tok {

using Json = nlohmann::json;

class JsonFields {
 public:
  explicit JsonFields(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  // "[tokenizer] <path>: '<field>': <message>"
  Status Error(const std::string& field, const std::string& message) const;

  // Optional fields: absent or null gives `fallback`; a wrong type is an error.
  Result<bool> Bool(const Json& obj, const std::string& key, const std::string& field, bool fallback) const;
  Result<std::string> String(const Json& obj, const std::string& key, const std::string& field,
                             const std::string& fallback) const;
  // Required fields.
  Result<std::string> RequiredString(const Json& obj, const std::string& key, const std::string& field) const;
  Result<int64_t> RequiredInt(const Json& obj, const std::string& key, const std::string& field) const;
  Result<const Json*> RequiredArray(const Json& obj, const std::string& key, const std::string& field) const;
  Result<const Json*> RequiredObject(const Json& obj, const std::string& key, const std::string& field) const;

 private:
  std::string path_;
};

// Parses a whole JSON file; errors name the file (missing, unreadable, malformed with position).
Result<Json> ReadJsonFile(const std::string& path);

}  // namespace mixq::tok
