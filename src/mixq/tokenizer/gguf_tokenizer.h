// Tokenizers from the vocabulary embedded in a GGUF file (tokenizer.ggml.* keys):
//   model "llama": tokens + scores + token_type, SentencePiece BPE (spm_vocab_tokenizer.h);
//     add_space_prefix (default true), add_bos_token (default true).
//   model "gpt2":  tokens + merges ("a b") + token_type, byte-level BPE (bpe_tokenizer.h) with
//     the pre-tokenizer tokenizer.ggml.pre names (gguf_pre_tokenizers.h); control and
//     user-defined tokens are cut out of the text first, as Hugging Face does with added
//     tokens; add_bos_token (default false).
// bos/eos/unknown ids come from tokenizer.ggml.{bos,eos,unknown}_token_id when present.
#pragma once

#include <memory>

#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

class GgufFile;

Result<std::unique_ptr<Tokenizer>> TokenizerFromGguf(const GgufFile& gguf);

}  // namespace mixq
