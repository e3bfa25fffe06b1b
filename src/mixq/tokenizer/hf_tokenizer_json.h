// Hugging Face tokenizer.json for byte-level BPE models (GPT-2, Llama 3, Qwen2, SmolLM).
// Read: model {type BPE, vocab, merges as "a b" strings or ["a", "b"] pairs, ignore_merges,
// byte_fallback, unk_token}, added_tokens, normalizer and pre_tokenizer (hf_pipeline_json.h),
// decoder (must be ByteLevel). Other model types (WordPiece, Unigram, WordLevel) and SentencePiece-
// style BPE (Metaspace) are rejected with an error naming them.
//
// BOS/EOS are not in tokenizer.json proper; they come from, later sources winning:
// config.json next to it (bos_token_id / eos_token_id), the post_processor
// (TemplateProcessing whose single template starts with a special token: add_bos), and
// tokenizer_config.json next to it (bos_token / eos_token / add_bos_token).
#pragma once

#include <memory>
#include <string>

#include "mixq/tokenizer/bpe_tokenizer.h"

namespace mixq {

Result<std::unique_ptr<ByteLevelBpeTokenizer>> LoadHfTokenizerJson(const std::string& path);

}  // namespace mixq
