#include "mixq/eval/logits_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "mixq/eval/stats.h"

namespace mixq::eval {
namespace {

// Little-endian field access (x86 and ARM hosts are little-endian; memcpy keeps it
// alignment-safe).
template <typename T>
void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

void EncodeHeader(const LogitsHeader& h, uint8_t* out) {
  std::memcpy(out, kLogitsMagic, 8);
  Put<uint32_t>(out + 8, kLogitsVersion);
  Put<uint32_t>(out + 12, kLogitsEncodingU16);
  Put<uint32_t>(out + 16, static_cast<uint32_t>(h.n_ctx));
  Put<uint32_t>(out + 20, static_cast<uint32_t>(h.n_vocab));
  Put<uint32_t>(out + 24, static_cast<uint32_t>(h.n_chunks));
  Put<uint32_t>(out + 28, static_cast<uint32_t>(h.first_scored));
  Put<uint32_t>(out + 32, static_cast<uint32_t>(h.n_scored));
  Put<int32_t>(out + 36, h.bos_id);
  Put<uint64_t>(out + 40, static_cast<uint64_t>(h.n_tokens()));
}

// Field consistency shared by the writer (programming errors surface as Status too) and the
// reader (bad files).
Status ValidateHeader(const LogitsHeader& h, const std::string& path) {
  if (h.n_ctx < 3) return Err("[logits] {}: n_ctx {} must be >= 3", path, h.n_ctx);
  if (h.n_vocab < 1) return Err("[logits] {}: n_vocab {} must be >= 1", path, h.n_vocab);
  if (h.n_chunks < 1) return Err("[logits] {}: n_chunks {} must be >= 1", path, h.n_chunks);
  if (h.first_scored != h.n_ctx / 2)
    return Err("[logits] {}: first_scored {} must be n_ctx/2 = {}", path, h.first_scored, h.n_ctx / 2);
  if (h.n_scored != h.n_ctx - 1 - h.first_scored)
    return Err("[logits] {}: n_scored {} must be n_ctx-1-first_scored = {}", path, h.n_scored,
               h.n_ctx - 1 - h.first_scored);
  if (h.bos_id < -1 || h.bos_id >= h.n_vocab)
    return Err("[logits] {}: bos_id {} out of range for n_vocab {}", path, h.bos_id, h.n_vocab);
  return Status::Ok();
}

}  // namespace

void EncodeLogProbRow(const float* logits, int64_t vocab, int32_t target, uint8_t* out) {
  const double lse = LogSumExp(logits, vocab);
  const int64_t top1 = ArgMax(logits, vocab);
  float min_logit = logits[0];
  for (int64_t i = 1; i < vocab; ++i) min_logit = std::min(min_logit, logits[i]);
  const double lp_max = static_cast<double>(logits[top1]) - lse;
  const double range = std::min(static_cast<double>(logits[top1]) - static_cast<double>(min_logit), kLogitsMaxRange);
  // Quantize against the float step actually stored, so decoding reproduces the grid exactly.
  const float step = range > 0.0 ? static_cast<float>(range / 65535.0) : 0.0f;
  const double inv_step = step > 0.0f ? 1.0 / static_cast<double>(step) : 0.0;
  const double base = static_cast<double>(logits[top1]);
  Put<float>(out, static_cast<float>(lp_max));
  Put<float>(out + 4, step);
  Put<float>(out + 8, static_cast<float>(static_cast<double>(logits[target]) - lse));
  Put<int32_t>(out + 12, static_cast<int32_t>(top1));
  uint8_t* q = out + kLogitsRowHeaderBytes;
  for (int64_t i = 0; i < vocab; ++i) {
    // Distance below the row maximum in steps; -inf (and NaN) logits go to the floor.
    const double steps = std::round((base - static_cast<double>(logits[i])) * inv_step);
    const uint16_t v = !(steps < 65535.0) ? uint16_t{65535} : static_cast<uint16_t>(steps > 0.0 ? steps : 0.0);
    Put<uint16_t>(q + 2 * i, v);
  }
}

LogProbRow ParseLogProbRow(const uint8_t* bytes) {
  LogProbRow row;
  row.lp_max = Get<float>(bytes);
  row.step = Get<float>(bytes + 4);
  row.target_lp = Get<float>(bytes + 8);
  row.top1 = Get<int32_t>(bytes + 12);
  row.q = bytes + kLogitsRowHeaderBytes;
  return row;
}

void DecodeLogProbRow(const LogProbRow& row, int64_t vocab, double* logprobs) {
  const double step = row.step;
  double sum = 0.0;  // sum of exp(lp - lp_max); the max term is exp(0) = 1
  for (int64_t i = 0; i < vocab; ++i) {
    const double d = -static_cast<double>(Get<uint16_t>(row.q + 2 * i)) * step;
    logprobs[i] = d;
    sum += std::exp(d);
  }
  const double shift = -std::log(sum);  // lp_max itself cancels in the renormalisation
  for (int64_t i = 0; i < vocab; ++i) logprobs[i] += shift;
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<LogitsFileWriter>> LogitsFileWriter::Create(const std::string& path, const LogitsHeader& header,
                                                                   const std::vector<int32_t>& tokens) {
  MIXQ_RETURN_IF_ERROR(ValidateHeader(header, path));
  if (static_cast<int64_t>(tokens.size()) != header.n_tokens())
    return Err("[logits] {}: {} tokens given, header needs n_chunks*n_ctx = {}", path, tokens.size(),
               header.n_tokens());
  std::unique_ptr<LogitsFileWriter> w(new LogitsFileWriter());
  w->path_ = path;
  w->temp_path_ = path + ".tmp." + std::to_string(::getpid());
  w->header_ = header;
  w->file_ = std::fopen(w->temp_path_.c_str(), "wb");
  if (w->file_ == nullptr) return Err("[logits] {}: cannot create: {}", w->temp_path_, std::strerror(errno));
  uint8_t head[kLogitsHeaderBytes] = {};
  EncodeHeader(header, head);
  bool ok = std::fwrite(head, 1, sizeof(head), w->file_) == sizeof(head);
  ok = ok && std::fwrite(tokens.data(), sizeof(int32_t), tokens.size(), w->file_) == tokens.size();
  if (!ok) return Err("[logits] {}: write failed: {}", w->temp_path_, std::strerror(errno));
  w->row_.resize(header.row_bytes());
  return w;
}

LogitsFileWriter::~LogitsFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(temp_path_.c_str());
  }
}

Status LogitsFileWriter::AppendRow(const float* logits, int32_t target) {
  if (target < 0 || target >= header_.n_vocab)
    return Err("[logits] {}: target token {} out of range for n_vocab {}", path_, target, header_.n_vocab);
  EncodeLogProbRow(logits, header_.n_vocab, target, row_.data());
  return AppendEncoded(row_.data(), 1);
}

Status LogitsFileWriter::AppendEncoded(const uint8_t* rows, int64_t n_rows) {
  if (file_ == nullptr) return Err("[logits] {}: append after Finish", path_);
  if (rows_written_ + n_rows > header_.n_rows())
    return Err("[logits] {}: more than the {} rows the header announces", path_, header_.n_rows());
  const size_t bytes = static_cast<size_t>(n_rows) * header_.row_bytes();
  if (std::fwrite(rows, 1, bytes, file_) != bytes)
    return Err("[logits] {}: write failed: {}", temp_path_, std::strerror(errno));
  rows_written_ += n_rows;
  return Status::Ok();
}

Status LogitsFileWriter::Finish() {
  if (file_ == nullptr) return Err("[logits] {}: Finish called twice", path_);
  if (rows_written_ != header_.n_rows())
    return Err("[logits] {}: {} rows written, header announces {}", path_, rows_written_, header_.n_rows());
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::remove(temp_path_.c_str());
    return Err("[logits] {}: write failed: {}", temp_path_, std::strerror(errno));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temp_path_.c_str());
    return Err("[logits] {}: cannot rename {} into place: {}", path_, temp_path_, why);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

Result<LogitsFile> LogitsFile::Open(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
  const uint8_t* p = mapped->data();
  const size_t size = mapped->size();
  if (size < kLogitsHeaderBytes)
    return Err("[logits] {}: file is {} bytes, shorter than the {}-byte header", path, size, kLogitsHeaderBytes);
  if (std::memcmp(p, kLogitsMagic, 8) != 0) return Err("[logits] {}: bad magic (not a mixq logits file)", path);
  const uint32_t version = Get<uint32_t>(p + 8);
  if (version != kLogitsVersion) return Err("[logits] {}: version {} unsupported (expected {})", path, version, kLogitsVersion);
  const uint32_t encoding = Get<uint32_t>(p + 12);
  if (encoding != kLogitsEncodingU16) return Err("[logits] {}: row encoding {} unsupported", path, encoding);

  LogitsFile f;
  LogitsHeader& h = f.header_;
  h.n_ctx = Get<uint32_t>(p + 16);
  h.n_vocab = Get<uint32_t>(p + 20);
  h.n_chunks = Get<uint32_t>(p + 24);
  h.first_scored = Get<uint32_t>(p + 28);
  h.n_scored = Get<uint32_t>(p + 32);
  h.bos_id = Get<int32_t>(p + 36);
  MIXQ_RETURN_IF_ERROR(ValidateHeader(h, path));
  const uint64_t n_tokens = Get<uint64_t>(p + 40);
  if (n_tokens != static_cast<uint64_t>(h.n_tokens()))
    return Err("[logits] {}: n_tokens {} != n_chunks*n_ctx = {}", path, n_tokens, h.n_tokens());

  const uint64_t expected = kLogitsHeaderBytes + 4 * n_tokens + static_cast<uint64_t>(h.n_rows()) * h.row_bytes();
  if (size != expected)
    return Err("[logits] {}: file is {} bytes, header implies {} ({} rows of {} bytes){}", path, size, expected,
               h.n_rows(), h.row_bytes(), size < expected ? ": truncated" : "");
  f.file_ = std::move(mapped);
  const int32_t* tokens = f.tokens();
  for (int64_t i = 0; i < h.n_tokens(); ++i)
    if (tokens[i] < 0 || tokens[i] >= h.n_vocab)
      return Err("[logits] {}: tokens[{}] = {} out of range for n_vocab {}", path, i, tokens[i], h.n_vocab);
  return f;
}

const int32_t* LogitsFile::tokens() const {
  return reinterpret_cast<const int32_t*>(file_->data() + kLogitsHeaderBytes);
}

std::vector<int32_t> LogitsFile::TokenVector() const {
  return std::vector<int32_t>(tokens(), tokens() + header_.n_tokens());
}

LogProbRow LogitsFile::Row(int64_t chunk, int64_t s) const {
  const size_t offset = kLogitsHeaderBytes + 4 * static_cast<size_t>(header_.n_tokens()) +
                        static_cast<size_t>(chunk * header_.n_scored + s) * header_.row_bytes();
  return ParseLogProbRow(file_->data() + offset);
}

Status LogitsFile::CheckCompatible(const LogitsHeader& run, const std::vector<int32_t>& run_tokens) const {
  const std::string& p = path();
  const LogitsHeader& b = header_;
  if (run.n_ctx != b.n_ctx) return Err("[logits] {}: n_ctx is {}, this run uses {}", p, b.n_ctx, run.n_ctx);
  if (run.n_vocab != b.n_vocab)
    return Err("[logits] {}: n_vocab is {}, the model has {}", p, b.n_vocab, run.n_vocab);
  if (run.first_scored != b.first_scored || run.n_scored != b.n_scored)
    return Err("[logits] {}: scored positions {}..{} differ from this run's {}..{}", p, b.first_scored,
               b.first_scored + b.n_scored - 1, run.first_scored, run.first_scored + run.n_scored - 1);
  if (run.bos_id != b.bos_id)
    return Err("[logits] {}: bos_id is {}, this run uses {}", p, b.bos_id, run.bos_id);
  if (run.n_chunks > b.n_chunks)
    return Err("[logits] {}: n_chunks is {}, this run evaluates {} (use --chunks {})", p, b.n_chunks, run.n_chunks,
               b.n_chunks);
  const int64_t n = std::min<int64_t>(run.n_tokens(), static_cast<int64_t>(run_tokens.size()));
  const int32_t* base = tokens();
  for (int64_t i = 0; i < n; ++i)
    if (base[i] != run_tokens[i])
      return Err("[logits] {}: tokens differ at index {} (chunk {}): file has {}, this run {}", p, i, i / b.n_ctx,
                 base[i], run_tokens[i]);
  return Status::Ok();
}

}  // namespace mixq::eval
