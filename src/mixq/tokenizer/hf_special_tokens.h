// Which ids are BOS/EOS for a tokenizer.json, and whether BOS is prepended (see
// hf_tokenizer_json.h for the sources consulted).
#pragma once

#include <functional>
#include <string>

#include "mixq/tokenizer/hf_json_fields.h"

namespace mixq::tok {

struct SpecialIds {
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  bool add_bos = false;
};

// `token_id` maps a token's text to its id (-1 if unknown); `tokenizer_json` is the parsed file.
Result<SpecialIds> ResolveSpecialIds(const std::string& tokenizer_json_path, const Json& tokenizer_json,
                                     const std::function<int32_t(const std::string&)>& token_id);

}  // namespace mixq::tok
