#include "mixq/eval/calibration.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mixq/model/model.h"

namespace mixq::eval {

using nlohmann::json;

std::vector<float> TensorActivationStats::MeanSquare() const {
  std::vector<float> mean(sum_sq.size(), 0.0f);
  if (n_tokens > 0)
    for (size_t c = 0; c < sum_sq.size(); ++c) mean[c] = static_cast<float>(sum_sq[c] / static_cast<double>(n_tokens));
  return mean;
}

std::string Fnv1a64Hex(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// ------------------------------------------------------------------------------- collection

namespace {

// Adds x{n, cols}'s squared entries to the tensor's per-channel sums, token by token in order
// (so a run is reproducible whatever the batch size or thread count).
void Accumulate(TensorActivationStats* t, const float* x, int64_t n, int64_t cols) {
  if (t->sum_sq.empty()) t->sum_sq.assign(static_cast<size_t>(cols), 0.0);
  MIXQ_CHECK(static_cast<int64_t>(t->sum_sq.size()) == cols);  // one tensor, one width
  for (int64_t r = 0; r < n; ++r) {
    const float* row = x + r * cols;
    for (int64_t c = 0; c < cols; ++c) t->sum_sq[c] += static_cast<double>(row[c]) * row[c];
  }
  t->n_tokens += n;
}

}  // namespace

Result<ActivationStats> CollectActivationStats(const Context& ctx, const std::shared_ptr<const Model>& model,
                                               const std::vector<int32_t>& tokens, int32_t bos_id,
                                               const CalibrationOptions& options,
                                               const CalibrationProgressFn& progress) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (options.n_ctx < 2) return Err("[calibrate] n_ctx must be at least 2, got {}", options.n_ctx);
  if (n < 2) return Err("[calibrate] the calibration text holds {} tokens; at least 2 are needed", n);
  int64_t n_chunks = (n + options.n_ctx - 1) / options.n_ctx;
  if (n_chunks > 1 && n % options.n_ctx == 1) --n_chunks;  // a 1-token tail chunk says nothing
  if (options.max_chunks > 0) n_chunks = std::min(n_chunks, options.max_chunks);
  const int64_t n_batch = std::clamp<int64_t>(options.n_batch, 1, options.n_ctx);

  ActivationStats stats;
  InferenceSession session(model, options.n_ctx);
  session.SetMatMulObserver([&stats](const std::string& name, const float* x, int64_t rows, int64_t cols) {
    Accumulate(&stats.tensors[name], x, rows, cols);
  });
  const auto start = std::chrono::steady_clock::now();
  int64_t done = 0;
  for (int64_t c = 0; c < n_chunks; ++c) {
    const int64_t begin = c * options.n_ctx, end = std::min(begin + options.n_ctx, n);
    std::vector<int32_t> chunk(tokens.begin() + begin, tokens.begin() + end);
    if (bos_id >= 0) chunk[0] = bos_id;
    session.Reset();
    for (size_t b = 0; b < chunk.size(); b += static_cast<size_t>(n_batch)) {
      const std::vector<int32_t> batch(chunk.begin() + b, chunk.begin() + std::min(chunk.size(), b + n_batch));
      MIXQ_RETURN_IF_ERROR(session.Decode(ctx, batch, /*all_logits=*/true).WithContext(fmt::format("[calibrate] chunk {}", c)));
    }
    done += end - begin;
    if (progress) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress({c + 1, n_chunks, done, elapsed});
    }
  }
  stats.provenance.n_ctx = options.n_ctx;
  stats.provenance.n_chunks = n_chunks;
  stats.provenance.n_tokens = done;
  stats.provenance.bos_id = bos_id;
  return stats;
}

// ------------------------------------------------------------------------------- files

namespace {

constexpr char kFormat[] = "mixq-activation-stats";
constexpr int kSchemaVersion = 1;
constexpr char kMagic[8] = {'M', 'I', 'X', 'Q', 'A', 'C', 'T', 'S'};
constexpr size_t kBinaryPrefix = 16;  // magic, u32 version, u32 header bytes

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

json ProvenanceJson(const CalibrationProvenance& p) {
  return {{"model", p.model},          {"text", p.text},         {"text_bytes", p.text_bytes},
          {"text_fnv1a64", p.text_fnv1a64}, {"n_ctx", p.n_ctx}, {"n_chunks", p.n_chunks},
          {"n_tokens", p.n_tokens},    {"bos_id", p.bos_id},     {"created_by", "mixq calibrate"}};
}

// The document without the vectors; the JSON form adds "sum_sq" to each tensor, the binary one
// "offset" (bytes from the start of the data section).
json HeaderJson(const ActivationStats& stats) {
  json tensors = json::array();
  for (const auto& [name, t] : stats.tensors)
    tensors.push_back({{"name", name}, {"cols", t.sum_sq.size()}, {"n_tokens", t.n_tokens}});
  return {{"format", kFormat},
          {"schema_version", kSchemaVersion},
          {"statistic", "sum over tokens of x[c]^2 per input channel c (diagonal of X^T X), f64"},
          {"provenance", ProvenanceJson(stats.provenance)},
          {"tensors", tensors}};
}

std::string SerializeJson(const ActivationStats& stats) {
  json doc = HeaderJson(stats);
  size_t i = 0;
  for (const auto& entry : stats.tensors) doc["tensors"][i++]["sum_sq"] = entry.second.sum_sq;
  return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

void AppendU32(std::string* out, uint32_t v) {
  for (int k = 0; k < 4; ++k) out->push_back(static_cast<char>((v >> (8 * k)) & 0xffu));
}

std::string SerializeBinary(const ActivationStats& stats) {
  json doc = HeaderJson(stats);
  uint64_t offset = 0;
  size_t i = 0;
  for (const auto& entry : stats.tensors) {
    doc["tensors"][i++]["offset"] = offset;
    offset += entry.second.sum_sq.size() * sizeof(double);
  }
  std::string header = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  header.append((8 - header.size() % 8) % 8, ' ');  // the data section starts 8-aligned
  std::string out(kMagic, sizeof(kMagic));
  AppendU32(&out, kSchemaVersion);
  AppendU32(&out, static_cast<uint32_t>(header.size()));
  out += header;
  for (const auto& entry : stats.tensors)  // little-endian hosts only (as every mixq target)
    out.append(reinterpret_cast<const char*>(entry.second.sum_sq.data()), entry.second.sum_sq.size() * sizeof(double));
  return out;
}

Status WriteAtomically(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) return Err("[calibration] {}: cannot create {}: {}", path, temp, std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                       ::fsync(::fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(temp.c_str());
    return Err("[calibration] {}: write failed: {}", temp, std::strerror(errno));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    return Err("[calibration] {}: cannot rename {} into place: {}", path, temp, why);
  }
  return Status::Ok();
}

// Typed field access that reports "path: field: problem" instead of throwing.
template <typename T>
Status GetField(const json& obj, const char* key, const std::string& where, T* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Err("[calibration] {}: missing field '{}'", where, key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return Err("[calibration] {}: '{}' must be a string", where, key);
  } else {
    if (!it->is_number_integer()) return Err("[calibration] {}: '{}' must be an integer", where, key);
  }
  *out = it->get<T>();
  return Status::Ok();
}

Status ParseProvenance(const json& doc, const std::string& where, CalibrationProvenance* p) {
  auto it = doc.find("provenance");
  if (it == doc.end() || !it->is_object()) return Err("[calibration] {}: missing object 'provenance'", where);
  const std::string w = where + ": provenance";
  MIXQ_RETURN_IF_ERROR(GetField(*it, "model", w, &p->model));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "text", w, &p->text));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "text_bytes", w, &p->text_bytes));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "text_fnv1a64", w, &p->text_fnv1a64));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "n_ctx", w, &p->n_ctx));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "n_chunks", w, &p->n_chunks));
  MIXQ_RETURN_IF_ERROR(GetField(*it, "n_tokens", w, &p->n_tokens));
  return GetField(*it, "bos_id", w, &p->bos_id);
}

// Checks one tensor's vector: the announced width, finite and non-negative values.
Status CheckSums(const std::vector<double>& v, int64_t cols, const std::string& where) {
  if (cols <= 0) return Err("[calibration] {}: 'cols' must be positive, got {}", where, cols);
  if (static_cast<int64_t>(v.size()) != cols)
    return Err("[calibration] {}: {} values, 'cols' says {}", where, v.size(), cols);
  for (size_t c = 0; c < v.size(); ++c)
    if (!std::isfinite(v[c]) || v[c] < 0.0)
      return Err("[calibration] {}: channel {} holds {}, expected a finite value >= 0", where, c, v[c]);
  return Status::Ok();
}

// Parses the document; `data` is the binary form's data section (empty for the JSON form).
Result<ActivationStats> ParseDocument(const json& doc, const std::string& path, const std::string& data, bool binary) {
  if (!doc.is_object()) return Err("[calibration] {}: not a JSON object", path);
  std::string format;
  int64_t version = 0;
  MIXQ_RETURN_IF_ERROR(GetField(doc, "format", path, &format));
  if (format != kFormat) return Err("[calibration] {}: 'format' is '{}', expected '{}'", path, format, kFormat);
  MIXQ_RETURN_IF_ERROR(GetField(doc, "schema_version", path, &version));
  if (version != kSchemaVersion)
    return Err("[calibration] {}: unsupported schema_version {} (this mixq reads {})", path, version, kSchemaVersion);
  ActivationStats stats;
  MIXQ_RETURN_IF_ERROR(ParseProvenance(doc, path, &stats.provenance));
  auto tensors = doc.find("tensors");
  if (tensors == doc.end() || !tensors->is_array()) return Err("[calibration] {}: missing array 'tensors'", path);
  for (size_t i = 0; i < tensors->size(); ++i) {
    const json& t = (*tensors)[i];
    std::string name;
    int64_t cols = 0;
    const std::string where = fmt::format("{}: tensors[{}]", path, i);
    if (!t.is_object()) return Err("[calibration] {}: not an object", where);
    MIXQ_RETURN_IF_ERROR(GetField(t, "name", where, &name));
    const std::string named = fmt::format("{}: '{}'", path, name);
    if (stats.tensors.count(name)) return Err("[calibration] {}: listed twice", named);
    TensorActivationStats& out = stats.tensors[name];
    MIXQ_RETURN_IF_ERROR(GetField(t, "cols", named, &cols));
    MIXQ_RETURN_IF_ERROR(GetField(t, "n_tokens", named, &out.n_tokens));
    if (out.n_tokens < 0) return Err("[calibration] {}: negative 'n_tokens'", named);
    if (binary) {
      uint64_t offset = 0;
      MIXQ_RETURN_IF_ERROR(GetField(t, "offset", named, &offset));
      const uint64_t bytes = static_cast<uint64_t>(std::max<int64_t>(cols, 0)) * sizeof(double);
      if (offset > data.size() || bytes > data.size() - offset)
        return Err("[calibration] {}: data [{}, {}) past the end of the file's {} data bytes", named, offset,
                   offset + bytes, data.size());
      out.sum_sq.resize(static_cast<size_t>(std::max<int64_t>(cols, 0)));
      std::memcpy(out.sum_sq.data(), data.data() + offset, bytes);
    } else {
      auto v = t.find("sum_sq");
      if (v == t.end() || !v->is_array()) return Err("[calibration] {}: missing array 'sum_sq'", named);
      for (const json& x : *v) {
        if (!x.is_number()) return Err("[calibration] {}: 'sum_sq' holds a non-number", named);
        out.sum_sq.push_back(x.get<double>());
      }
    }
    MIXQ_RETURN_IF_ERROR(CheckSums(out.sum_sq, cols, named));
  }
  return stats;
}

uint32_t ReadU32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + k])) << (8 * k);
  return v;
}

}  // namespace

Status CheckActivationStatsPath(const std::string& path) {
  if (EndsWith(path, ".json") || EndsWith(path, ".bin")) return Status::Ok();
  return Err("[calibration] {}: unknown extension; use .json or .bin", path);
}

Status SaveActivationStats(const ActivationStats& stats, const std::string& path) {
  MIXQ_RETURN_IF_ERROR(CheckActivationStatsPath(path));
  return WriteAtomically(path, EndsWith(path, ".json") ? SerializeJson(stats) : SerializeBinary(stats));
}

Result<ActivationStats> LoadActivationStats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err("[calibration] {}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  if (bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0) {
    if (bytes.size() < kBinaryPrefix) return Err("[calibration] {}: truncated header", path);
    const uint32_t version = ReadU32(bytes, 8), header_bytes = ReadU32(bytes, 12);
    if (version != kSchemaVersion)
      return Err("[calibration] {}: unsupported binary version {} (this mixq reads {})", path, version, kSchemaVersion);
    if (header_bytes > bytes.size() - kBinaryPrefix)
      return Err("[calibration] {}: header of {} bytes past the end of the file", path, header_bytes);
    const json doc = json::parse(bytes.begin() + kBinaryPrefix, bytes.begin() + kBinaryPrefix + header_bytes, nullptr, false);
    if (doc.is_discarded()) return Err("[calibration] {}: the header is not valid JSON", path);
    return ParseDocument(doc, path, bytes.substr(kBinaryPrefix + header_bytes), /*binary=*/true);
  }
  const json doc = json::parse(bytes, nullptr, false);
  if (doc.is_discarded()) return Err("[calibration] {}: not valid JSON (nor the binary format)", path);
  return ParseDocument(doc, path, std::string(), /*binary=*/false);
}

}  // namespace mixq::eval
