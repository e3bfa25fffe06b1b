// The pre-tokenizers that GGUF's tokenizer.ggml.pre names for "gpt2" (byte-level BPE)
// vocabularies. llama.cpp's converter picks the name by fingerprinting the Hugging Face
// tokenizer; the regexes below are those models' tokenizer.json pre_tokenizer patterns.
#pragma once

#include <string>

#include "mixq/tokenizer/pre_tokenizer.h"

namespace mixq::tok {

// "default", "gpt-2": the GPT-2 regex. "llama-bpe" (Llama 3): the Llama 3 regex (digits in
// groups of up to three). "qwen2": the Llama 3 regex with single digits. "smollm": single
// digits, then the GPT-2 regex. Others: an error that names the pre-tokenizer and these.
Status BuildGgufPreTokenizer(const std::string& name, const std::string& where, PreTokenizer* out);

}  // namespace mixq::tok
