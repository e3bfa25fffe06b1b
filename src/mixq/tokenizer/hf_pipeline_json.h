// The normalizer and pre_tokenizer sections of tokenizer.json, for byte-level BPE.
#pragma once

#include "mixq/tokenizer/hf_json_fields.h"
#include "mixq/tokenizer/normalizer.h"
#include "mixq/tokenizer/pre_tokenizer.h"

namespace mixq::tok {

// Supported: null, Sequence, Replace {String pattern}, Prepend, and NFC, which is accepted as
// the identity (mixq has no Unicode normalization tables; ordinary text is already NFC, and
// Qwen2's tokenizer.json declares NFC). Anything else is an error naming the type.
Status ParseNormalizer(const JsonFields& fields, const Json& node, const std::string& field, Normalizer* out);

// Supported: null, Sequence, Split {pattern Regex/String, behavior, invert}, Digits
// {individual_digits}, ByteLevel {add_prefix_space, use_regex}. ByteLevel must come last (BPE
// runs on its byte-to-code-point mapping) and must be present; `*byte_level_seen` reports it.
Status ParsePreTokenizer(const JsonFields& fields, const Json& node, const std::string& field, PreTokenizer* out,
                         bool* byte_level_seen);

}  // namespace mixq::tok
