#include "mixq/tokenizer/hf_pipeline_json.h"

#include <fmt/format.h>

namespace mixq::tok {
namespace {

Result<SplitBehavior> ParseBehavior(const JsonFields& fields, const std::string& name, const std::string& field) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return fields.Error(field, fmt::format("unknown split behavior \"{}\"", name));
}

// pattern: {"Regex": "..."} or {"String": "..."}.
Result<std::shared_ptr<const Regex>> ParsePattern(const JsonFields& fields, const Json& node, const std::string& field) {
  MIXQ_ASSIGN_OR_RETURN(const Json* pattern, fields.RequiredObject(node, "pattern", field + ".pattern"));
  const std::string where = fmt::format("[tokenizer] {}: '{}.pattern'", fields.path(), field);
  if (pattern->contains("Regex")) {
    MIXQ_ASSIGN_OR_RETURN(std::string regex, fields.RequiredString(*pattern, "Regex", field + ".pattern.Regex"));
    return Regex::Compile(regex, where);
  }
  if (pattern->contains("String")) {
    MIXQ_ASSIGN_OR_RETURN(std::string literal, fields.RequiredString(*pattern, "String", field + ".pattern.String"));
    return Regex::CompileLiteral(literal, where);
  }
  return fields.Error(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
}

Status ParseStep(const JsonFields& fields, const Json& node, const std::string& field, PreTokenizer* out,
                 bool* byte_level_seen) {
  if (!node.is_object()) return fields.Error(field, "expected an object");
  if (*byte_level_seen)
    return fields.Error(field, "a pre-tokenizer after ByteLevel is not supported (BPE needs ByteLevel last)");
  MIXQ_ASSIGN_OR_RETURN(std::string type, fields.RequiredString(node, "type", field + ".type"));
  if (type == "Sequence") {
    MIXQ_ASSIGN_OR_RETURN(const Json* steps, fields.RequiredArray(node, "pretokenizers", field + ".pretokenizers"));
    for (size_t i = 0; i < steps->size(); ++i)
      MIXQ_RETURN_IF_ERROR(
          ParseStep(fields, (*steps)[i], fmt::format("{}.pretokenizers[{}]", field, i), out, byte_level_seen));
    return Status::Ok();
  }
  if (type == "Split") {
    SplitStep step;
    MIXQ_ASSIGN_OR_RETURN(step.regex, ParsePattern(fields, node, field));
    MIXQ_ASSIGN_OR_RETURN(std::string behavior, fields.RequiredString(node, "behavior", field + ".behavior"));
    MIXQ_ASSIGN_OR_RETURN(step.behavior, ParseBehavior(fields, behavior, field + ".behavior"));
    MIXQ_ASSIGN_OR_RETURN(step.invert, fields.Bool(node, "invert", field + ".invert", false));
    out->AddSplit(std::move(step));
    return Status::Ok();
  }
  if (type == "Digits") {
    MIXQ_ASSIGN_OR_RETURN(bool individual, fields.Bool(node, "individual_digits", field + ".individual_digits", false));
    // Rust's char::is_numeric is the Unicode N categories: \p{N}.
    MIXQ_ASSIGN_OR_RETURN(auto regex, Regex::Compile(individual ? R"(\p{N})" : R"(\p{N}+)",
                                                     fmt::format("[tokenizer] {}: '{}'", fields.path(), field)));
    out->AddSplit({std::move(regex), SplitBehavior::kIsolated, false});
    return Status::Ok();
  }
  if (type == "ByteLevel") {
    MIXQ_ASSIGN_OR_RETURN(bool prefix_space, fields.Bool(node, "add_prefix_space", field + ".add_prefix_space", false));
    MIXQ_ASSIGN_OR_RETURN(bool use_regex, fields.Bool(node, "use_regex", field + ".use_regex", true));
    if (prefix_space) out->AddPrefixSpace();
    if (use_regex) {
      MIXQ_ASSIGN_OR_RETURN(auto regex, Regex::Compile(kGpt2SplitPattern,
                                                       fmt::format("[tokenizer] {}: '{}'", fields.path(), field)));
      out->AddSplit({std::move(regex), SplitBehavior::kIsolated, false});
    }
    *byte_level_seen = true;
    return Status::Ok();
  }
  return fields.Error(field + ".type", fmt::format("pre-tokenizer \"{}\" is not supported", type));
}

}  // namespace

Status ParseNormalizer(const JsonFields& fields, const Json& node, const std::string& field, Normalizer* out) {
  if (node.is_null()) return Status::Ok();
  if (!node.is_object()) return fields.Error(field, "expected an object or null");
  MIXQ_ASSIGN_OR_RETURN(std::string type, fields.RequiredString(node, "type", field + ".type"));
  if (type == "Sequence") {
    MIXQ_ASSIGN_OR_RETURN(const Json* steps, fields.RequiredArray(node, "normalizers", field + ".normalizers"));
    for (size_t i = 0; i < steps->size(); ++i)
      MIXQ_RETURN_IF_ERROR(ParseNormalizer(fields, (*steps)[i], fmt::format("{}.normalizers[{}]", field, i), out));
    return Status::Ok();
  }
  if (type == "NFC") return Status::Ok();  // see the header: accepted as the identity
  if (type == "Replace") {
    MIXQ_ASSIGN_OR_RETURN(const Json* pattern, fields.RequiredObject(node, "pattern", field + ".pattern"));
    if (!pattern->contains("String"))
      return fields.Error(field + ".pattern", "only {\"String\": ...} replacements are supported");
    MIXQ_ASSIGN_OR_RETURN(std::string from, fields.RequiredString(*pattern, "String", field + ".pattern.String"));
    MIXQ_ASSIGN_OR_RETURN(std::string to, fields.RequiredString(node, "content", field + ".content"));
    out->AddReplace(std::move(from), std::move(to));
    return Status::Ok();
  }
  if (type == "Prepend") {
    MIXQ_ASSIGN_OR_RETURN(std::string prefix, fields.RequiredString(node, "prepend", field + ".prepend"));
    out->AddPrepend(std::move(prefix));
    return Status::Ok();
  }
  return fields.Error(field + ".type", fmt::format("normalizer \"{}\" is not supported", type));
}

Status ParsePreTokenizer(const JsonFields& fields, const Json& node, const std::string& field, PreTokenizer* out,
                         bool* byte_level_seen) {
  *byte_level_seen = false;
  if (node.is_null()) return Status::Ok();
  return ParseStep(fields, node, field, out, byte_level_seen);
}

}  // namespace mixq::tok
