// What perplexity evaluates: the text file's tokens and how they split into chunks. Pure
// functions, so the chunking rules are unit-tested without a model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/eval/logits_file.h"

namespace mixq {
class Tokenizer;
}

namespace mixq::eval {

// Reads a text file as raw bytes; with crlf_to_lf every "\r\n" becomes "\n" (lone '\r' stays).
Result<std::string> ReadTextFile(const std::string& path, bool crlf_to_lf);
std::string CrlfToLf(const std::string& text);

// BOS (when the tokenizer asks for one) followed by encode(text), as llama.cpp's perplexity
// tokenizes its input: one sequence for the whole file.
Result<std::vector<int32_t>> TokenizeForPerplexity(const Tokenizer& tokenizer, const std::string& text);

// Splits `n_tokens` into n_chunks = n_tokens / n_ctx whole chunks (the tail is dropped), at most
// `max_chunks` of them (0: all). In each chunk positions n_ctx/2 .. n_ctx-2 predict the next
// token (n_ctx/2 - 1 scored positions for even n_ctx), so every scored prediction has at least
// n_ctx/2 tokens of context. `bos_id` (-1: none) replaces the first token of each chunk.
// Errors when n_ctx < 3 or the text holds fewer than n_ctx tokens.
Result<LogitsHeader> PlanChunks(int64_t n_tokens, int64_t n_vocab, int32_t bos_id, int64_t n_ctx, int64_t max_chunks);

}  // namespace mixq::eval
