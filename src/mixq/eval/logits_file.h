// The saved-baseline file of `mixq perplexity --save-logits` / `--kld-base`: the evaluated
// tokens and, for every scored position, the baseline model's log-probabilities over the whole
// vocabulary, quantized to 16 bits. Layout and precision: docs/logits-format.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/tensor/mapped_file.h"

namespace mixq::eval {

inline constexpr char kLogitsMagic[8] = {'M', 'I', 'X', 'Q', 'L', 'O', 'G', 'P'};
inline constexpr uint32_t kLogitsVersion = 1;
inline constexpr uint32_t kLogitsEncodingU16 = 1;  // the only row encoding so far
inline constexpr size_t kLogitsHeaderBytes = 48;
inline constexpr size_t kLogitsRowHeaderBytes = 16;
// Log-probabilities more than this many nats below the row's maximum are stored as the floor
// (their probability is below e^-64, far under any effect on KLD); it bounds the step.
inline constexpr double kLogitsMaxRange = 64.0;

// What a baseline describes; all fields are checked against the run that compares with it.
struct LogitsHeader {
  int64_t n_ctx = 0;
  int64_t n_vocab = 0;
  int64_t n_chunks = 0;
  int64_t first_scored = 0;  // n_ctx / 2
  int64_t n_scored = 0;      // per chunk: n_ctx - 1 - first_scored
  int32_t bos_id = -1;       // replaces each chunk's first token; -1: chunks are evaluated as-is
  int64_t n_tokens() const { return n_chunks * n_ctx; }
  int64_t n_rows() const { return n_chunks * n_scored; }
  size_t row_bytes() const { return kLogitsRowHeaderBytes + 2 * static_cast<size_t>(n_vocab); }
};

// One stored position. logprob_i ~= lp_max - q[i] * step (before renormalisation).
struct LogProbRow {
  float lp_max = 0.0f;     // the largest log-probability of the row (<= 0)
  float step = 0.0f;       // quantization step in nats: min(range, 64) / 65535
  float target_lp = 0.0f;  // exact log-probability of the token that actually follows
  int32_t top1 = 0;        // exact argmax of the logits (lowest id on ties)
  const uint8_t* q = nullptr;  // n_vocab little-endian uint16 (unaligned-safe reads)
};

// Encodes one position's logits ({vocab} floats) into `out` (header.row_bytes() bytes).
void EncodeLogProbRow(const float* logits, int64_t vocab, int32_t target, uint8_t* out);
// Reads the row at `bytes` (no copy of q).
LogProbRow ParseLogProbRow(const uint8_t* bytes);
// Dequantizes a row into normalised log-probabilities ({vocab} doubles, log-sum-exp exactly 0):
// renormalising keeps KLD >= 0 and leaves only a second-order quantization effect.
void DecodeLogProbRow(const LogProbRow& row, int64_t vocab, double* logprobs);

// Streams a baseline to `path` + ".tmp.<pid>" and renames it into place on Finish(), so a
// crashed or failed run never leaves a truncated file under the final name.
class LogitsFileWriter {
 public:
  // `tokens` are the evaluated stream, header.n_tokens() of them (before BOS replacement).
  static Result<std::unique_ptr<LogitsFileWriter>> Create(const std::string& path, const LogitsHeader& header,
                                                          const std::vector<int32_t>& tokens);
  ~LogitsFileWriter();  // removes the temp file unless Finish() succeeded

  // Appends the next scored position (rows in chunk-major order).
  Status AppendRow(const float* logits, int32_t target);
  // Appends `n_rows` rows already encoded by EncodeLogProbRow (n_rows * row_bytes() bytes).
  Status AppendEncoded(const uint8_t* rows, int64_t n_rows);
  // Checks that every row was written, flushes and renames.
  Status Finish();

  const LogitsHeader& header() const { return header_; }
  const std::string& path() const { return path_; }

 private:
  LogitsFileWriter() = default;
  std::string path_;
  std::string temp_path_;
  LogitsHeader header_;
  std::FILE* file_ = nullptr;
  int64_t rows_written_ = 0;
  std::vector<uint8_t> row_;
};

// A baseline opened read-only (memory-mapped); the whole layout is validated on open.
class LogitsFile {
 public:
  static Result<LogitsFile> Open(const std::string& path);

  const LogitsHeader& header() const { return header_; }
  const std::string& path() const { return file_->path(); }
  const int32_t* tokens() const;  // header().n_tokens() ids (unaligned-safe: 4-byte offset)
  std::vector<int32_t> TokenVector() const;
  // Row of chunk c, scored position s (0 <= s < n_scored).
  LogProbRow Row(int64_t chunk, int64_t s) const;

  // Errors (naming this file and the field) unless a run over `tokens` with these settings
  // scores positions this baseline holds: equal n_ctx, n_vocab, first_scored and bos_id, at
  // most n_chunks chunks, and the same leading tokens.
  Status CheckCompatible(const LogitsHeader& run, const std::vector<int32_t>& tokens) const;

 private:
  std::shared_ptr<MappedFile> file_;
  LogitsHeader header_;
};

}  // namespace mixq::eval
