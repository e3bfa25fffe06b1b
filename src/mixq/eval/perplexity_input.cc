#include "mixq/eval/perplexity_input.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mixq/tokenizer/tokenizer.h"

namespace mixq::eval {

std::string CrlfToLf(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

Result<std::string> ReadTextFile(const std::string& path, bool crlf_to_lf) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Err("[perplexity] {}: cannot open: {}", path, std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Err("[perplexity] {}: read failed", path);
  return crlf_to_lf ? CrlfToLf(bytes) : bytes;
}

Result<std::vector<int32_t>> TokenizeForPerplexity(const Tokenizer& tokenizer, const std::string& text) {
  MIXQ_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer.Encode(text));
  if (!tokenizer.add_bos() || tokenizer.bos_id() < 0) return ids;
  std::vector<int32_t> tokens;
  tokens.reserve(ids.size() + 1);
  tokens.push_back(tokenizer.bos_id());
  tokens.insert(tokens.end(), ids.begin(), ids.end());
  return tokens;
}

Result<LogitsHeader> PlanChunks(int64_t n_tokens, int64_t n_vocab, int32_t bos_id, int64_t n_ctx, int64_t max_chunks) {
  if (n_ctx < 3) return Err("[perplexity] context size {} too small: need at least 3 tokens per chunk", n_ctx);
  if (max_chunks < 0) return Err("[perplexity] --chunks must be >= 0, got {}", max_chunks);
  if (n_tokens < n_ctx)
    return Err("[perplexity] the text has {} tokens, fewer than one chunk of n_ctx = {}", n_tokens, n_ctx);
  LogitsHeader h;
  h.n_ctx = n_ctx;
  h.n_vocab = n_vocab;
  h.n_chunks = n_tokens / n_ctx;
  if (max_chunks > 0 && max_chunks < h.n_chunks) h.n_chunks = max_chunks;
  h.first_scored = n_ctx / 2;
  h.n_scored = n_ctx - 1 - h.first_scored;
  h.bos_id = bos_id;
  return h;
}

}  // namespace mixq::eval
