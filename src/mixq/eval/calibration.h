// Calibration statistics for importance-weighted quantization (`mixq calibrate`): run the model
// on calibration text and accumulate, for every weight matrix W {rows, cols} of a product
// y = W x, the per-input-channel activation energy
//     sum_sq[c] = sum over tokens t of x_t[c]^2       (the diagonal of X^T X), c < cols
// in double precision, with the number of tokens seen. sum_sq / n_tokens is the importance a
// codec's quantize_row takes (codec.h): the expected squared output error of a row is
// sum_c E[x_c^2] * (w_c - q_c)^2 when the channels are uncorrelated.
//
// Names are the canonical tensor names (blk.N.attn_q.weight, ...). Q, K and V share their input
// but are kept apart (the file stays a plain name -> vector map). With tied embeddings the output
// projection is recorded under "token_embd.weight". File format: docs/calibration.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"

namespace mixq {
class Model;
}

namespace mixq::eval {

struct TensorActivationStats {
  std::vector<double> sum_sq;  // {cols}: sum over tokens of x_c^2
  int64_t n_tokens = 0;        // tokens (rows of X) accumulated

  // Mean energy per token, sum_sq / n_tokens, {cols}: the importance vector for the quantizer
  // (all zeros when no token was seen).
  std::vector<float> MeanSquare() const;
};

// Where the statistics came from (written to the file, checked by nothing).
struct CalibrationProvenance {
  std::string model;           // model path as given
  std::string text;            // calibration text path
  uint64_t text_bytes = 0;
  std::string text_fnv1a64;    // 16 hex digits, FNV-1a of the text bytes
  int64_t n_ctx = 0;           // tokens per chunk
  int64_t n_chunks = 0;        // chunks evaluated
  int64_t n_tokens = 0;        // tokens evaluated (every chunk, every position)
  int32_t bos_id = -1;         // replaced each chunk's first token (-1: none)
};

struct ActivationStats {
  CalibrationProvenance provenance;
  std::map<std::string, TensorActivationStats> tensors;  // by canonical tensor name

  const TensorActivationStats* Find(const std::string& name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
};

struct CalibrationOptions {
  int64_t n_ctx = 512;     // tokens per chunk, each decoded from an empty cache
  int64_t n_batch = 512;   // tokens per Decode call (capped at n_ctx)
  int64_t max_chunks = 0;  // 0: every chunk
};

struct CalibrationProgress {
  int64_t chunks_done = 0;
  int64_t n_chunks = 0;
  int64_t tokens_done = 0;
  double elapsed_s = 0.0;
};
using CalibrationProgressFn = std::function<void(const CalibrationProgress&)>;

// Splits `tokens` into chunks of n_ctx (the last one may be shorter, but holds at least 2
// tokens; a text shorter than n_ctx is one chunk), replaces each chunk's first token by bos_id
// (>= 0), decodes every chunk with all logits, and accumulates the statistics of every matrix
// product. Fills provenance.n_ctx / n_chunks / n_tokens / bos_id; the caller fills the rest.
Result<ActivationStats> CollectActivationStats(const Context& ctx, const std::shared_ptr<const Model>& model,
                                               const std::vector<int32_t>& tokens, int32_t bos_id,
                                               const CalibrationOptions& options,
                                               const CalibrationProgressFn& progress = {});

// FNV-1a 64 of bytes as 16 lowercase hex digits (provenance of the text).
std::string Fnv1a64Hex(const std::string& bytes);

// Writes `path` atomically (temp file + rename): JSON when the path ends in ".json", the binary
// format (a JSON header and raw little-endian f64 arrays) when it ends in ".bin".
Status SaveActivationStats(const ActivationStats& stats, const std::string& path);
// The error SaveActivationStats would give for the path's extension (checked before a long run).
Status CheckActivationStatsPath(const std::string& path);

// Reads either format (told apart by the binary magic), checking the schema version, that every
// tensor's vector is non-empty, finite and non-negative, and that names are unique.
Result<ActivationStats> LoadActivationStats(const std::string& path);

}  // namespace mixq::eval
