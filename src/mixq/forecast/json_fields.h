// Reading the forecast's JSON files (device, plan, calibration records) with errors that name
// the file and the field: "[device] devices/pi5.json: 'memory.bandwidth_gbs': must be positive".
// Internal to the forecast module.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "mixq/base/status.h"

namespace mixq::forecast {

// Ordered so written files keep their fields in a readable order.
using Json = nlohmann::ordered_json;

// Where a value comes from: the message tag ("device") and the file (or "<string>").
struct JsonSource {
  std::string tag;
  std::string file;

  // "[tag] file: 'field': what"
  Status FieldError(const std::string& field, const std::string& what) const;
  Status FileError(const std::string& what) const;  // "[tag] file: what"
};

Result<std::string> ReadTextFile(const std::string& path, const std::string& tag);
// Parses text into a JSON object; malformed text or a non-object root is an error.
Result<Json> ParseJsonObject(const std::string& text, const JsonSource& src);

// "a.b" joined paths for messages.
std::string FieldPath(const std::string& parent, const std::string& key);

// A number field: either a bare number or {"value": N, "source": "..."}. `source_out`, when
// given, receives the source text ("" for a bare number). Missing -> nullopt (no error).
Result<std::optional<double>> OptionalNumber(const Json& obj, const std::string& key, const std::string& path,
                                             const JsonSource& src, std::string* source_out = nullptr);
// As above but the field must be present.
Result<double> RequiredNumber(const Json& obj, const std::string& key, const std::string& path,
                              const JsonSource& src, std::string* source_out = nullptr);
// A required number that must be > 0 (and finite).
Result<double> PositiveNumber(const Json& obj, const std::string& key, const std::string& path,
                              const JsonSource& src, std::string* source_out = nullptr);
// An integer field; missing -> `fallback`.
Result<int64_t> IntegerOr(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                          int64_t fallback);
Result<std::optional<std::string>> OptionalString(const Json& obj, const std::string& key, const std::string& path,
                                                  const JsonSource& src);
Result<bool> BoolOr(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                    bool fallback);
// An object field; missing -> nullptr (no error); present but not an object -> error.
Result<const Json*> OptionalObject(const Json& obj, const std::string& key, const std::string& path,
                                   const JsonSource& src);
// Checks "schema_version" == 1.
Status CheckSchemaVersion(const Json& root, const JsonSource& src);

// {"value": v, "source": s}: how the forecast writes numbers with their provenance.
Json Quantity(double value, const std::string& source);

}  // namespace mixq::forecast
