// A tokenizer as the tokenizer.ggml.* arrays of a GGUF file, as llama.cpp's converters write
// them, so that llama.cpp and mixq's GGUF tokenizer (gguf_tokenizer.h) encode like the source.
//
// "llama" (SentencePiece BPE): SentencePiece .model files and llama2.c tokenizer.bin.
//   tokenizer.ggml.tokens       pieces, with U+2581 for spaces (llama2.c's ' ' is mapped)
//   tokenizer.ggml.scores       f32 scores
//   tokenizer.ggml.token_type   i32: 1 normal, 2 unknown, 3 control, 5 unused, 6 byte (<0xAB>)
//   llama2.c files store BOS/EOS as "\n<s>\n" / "\n</s>\n"; like llama.cpp's
//   convert-llama2c-to-ggml, ids 0/1/2 become "<unk>" (unknown), "<s>", "</s>" (control).
//   add_space_prefix: SentencePiece's add_dummy_prefix (llama2.c: true, as run.c adds " ").
// "gpt2" (byte-level BPE from tokenizer.json):
//   tokens (vocabulary and added tokens by id), merges ("a b" in rank order), token_type
//   (added special tokens 3 control, other added tokens 4 user-defined, the rest 1 normal),
//   tokenizer.ggml.pre: the GGUF pre-tokenizer (gguf_pre_tokenizers.h) that cuts a fingerprint
//   text exactly as the source does, tried in the order gpt-2, llama-bpe, qwen2, smollm; a
//   tokenizer.json none of them reproduces is refused rather than silently changed.
// Both: bos/eos (and unknown/padding where known) ids and add_bos_token/add_eos_token. Ids
// between the tokenizer's size and the model's vocab_size (padded embeddings) get "[PAD<id>]"
// tokens of type unused, as llama.cpp's converter writes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/gguf.h"
#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

// `vocab_size` is the model's (rows of token_embd); a tokenizer with more tokens is refused.
// `source` (the model path) starts error messages. Tokenizers read from a GGUF file are not
// exported this way: their keys are copied (io/gguf_export.h GgufCarriedMetadata).
Result<std::vector<GgufKeyValue>> GgufVocabularyMetadata(const Tokenizer& tokenizer, int64_t vocab_size,
                                                         const std::string& source);

}  // namespace mixq
