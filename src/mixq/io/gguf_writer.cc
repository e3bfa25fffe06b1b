#include "mixq/io/gguf_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

namespace mixq {

GgufValue GgufU8(uint8_t v) { return {GgufType::kU8, uint64_t{v}}; }
GgufValue GgufI8(int8_t v) { return {GgufType::kI8, int64_t{v}}; }
GgufValue GgufU16(uint16_t v) { return {GgufType::kU16, uint64_t{v}}; }
GgufValue GgufI16(int16_t v) { return {GgufType::kI16, int64_t{v}}; }
GgufValue GgufU32(uint32_t v) { return {GgufType::kU32, uint64_t{v}}; }
GgufValue GgufI32(int32_t v) { return {GgufType::kI32, int64_t{v}}; }
GgufValue GgufU64(uint64_t v) { return {GgufType::kU64, v}; }
GgufValue GgufI64(int64_t v) { return {GgufType::kI64, v}; }
GgufValue GgufF32(float v) { return {GgufType::kF32, double{v}}; }
GgufValue GgufF64(double v) { return {GgufType::kF64, v}; }
GgufValue GgufBool(bool v) { return {GgufType::kBool, v}; }
GgufValue GgufString(std::string v) { return {GgufType::kString, std::move(v)}; }

GgufValue GgufArrayOf(GgufType element_type, GgufArray items) {
  GgufValue v{GgufType::kArray, std::move(items)};
  v.array_type = element_type;
  return v;
}
GgufValue GgufStringArray(const std::vector<std::string>& items) {
  GgufArray a;
  a.reserve(items.size());
  for (const std::string& s : items) a.push_back(GgufString(s));
  return GgufArrayOf(GgufType::kString, std::move(a));
}
GgufValue GgufF32Array(const std::vector<float>& items) {
  GgufArray a;
  a.reserve(items.size());
  for (float f : items) a.push_back(GgufF32(f));
  return GgufArrayOf(GgufType::kF32, std::move(a));
}
GgufValue GgufI32Array(const std::vector<int32_t>& items) {
  GgufArray a;
  a.reserve(items.size());
  for (int32_t i : items) a.push_back(GgufI32(i));
  return GgufArrayOf(GgufType::kI32, std::move(a));
}

namespace {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr size_t kMaxNameBytes = 63;  // ggml's GGML_MAX_NAME (64) includes the terminating NUL
constexpr size_t kMaxDims = 4;

template <typename T>
void Put(T v, std::string* out) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void PutString(const std::string& s, std::string* out) {
  Put<uint64_t>(s.size(), out);
  out->append(s);
}

// Serializes an integer value of `type` after checking that it fits. `what` names the key.
template <typename T>
Status PutInteger(const GgufValue& v, const std::string& what, std::string* out) {
  bool fits = false;
  T x{};
  if (const int64_t* i = std::get_if<int64_t>(&v.value)) {
    fits = std::numeric_limits<T>::is_signed ? *i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                                   *i <= static_cast<int64_t>(std::numeric_limits<T>::max())
                                             : *i >= 0 && static_cast<uint64_t>(*i) <= std::numeric_limits<T>::max();
    x = static_cast<T>(*i);
  } else if (const uint64_t* u = std::get_if<uint64_t>(&v.value)) {
    fits = *u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    x = static_cast<T>(*u);
  } else {
    return Err("{}: {} value does not hold an integer", what, GgufTypeName(v.type));
  }
  if (!fits) return Err("{}: value out of range for {}", what, GgufTypeName(v.type));
  Put(x, out);
  return Status::Ok();
}

Status PutScalar(const GgufValue& v, const std::string& what, std::string* out) {
  switch (v.type) {
    case GgufType::kU8: return PutInteger<uint8_t>(v, what, out);
    case GgufType::kI8: return PutInteger<int8_t>(v, what, out);
    case GgufType::kU16: return PutInteger<uint16_t>(v, what, out);
    case GgufType::kI16: return PutInteger<int16_t>(v, what, out);
    case GgufType::kU32: return PutInteger<uint32_t>(v, what, out);
    case GgufType::kI32: return PutInteger<int32_t>(v, what, out);
    case GgufType::kU64: return PutInteger<uint64_t>(v, what, out);
    case GgufType::kI64: return PutInteger<int64_t>(v, what, out);
    case GgufType::kF32:
    case GgufType::kF64: {
      const double* d = std::get_if<double>(&v.value);
      if (d == nullptr) return Err("{}: {} value does not hold a float", what, GgufTypeName(v.type));
      if (v.type == GgufType::kF32) Put(static_cast<float>(*d), out);
      else Put(*d, out);
      return Status::Ok();
    }
    case GgufType::kBool: {
      const bool* b = std::get_if<bool>(&v.value);
      if (b == nullptr) return Err("{}: bool value does not hold a bool", what);
      Put<uint8_t>(*b ? 1 : 0, out);
      return Status::Ok();
    }
    case GgufType::kString: {
      const std::string* s = std::get_if<std::string>(&v.value);
      if (s == nullptr) return Err("{}: string value does not hold a string", what);
      PutString(*s, out);
      return Status::Ok();
    }
    default:
      return Err("{}: unknown value type {}", what, static_cast<uint32_t>(v.type));
  }
}

Status PutValue(const GgufValue& v, const std::string& what, std::string* out) {
  Put(static_cast<uint32_t>(v.type), out);
  if (v.type != GgufType::kArray) return PutScalar(v, what, out);
  const GgufArray* items = std::get_if<GgufArray>(&v.value);
  if (items == nullptr) return Err("{}: array value does not hold an array", what);
  if (v.array_type == GgufType::kArray) return Err("{}: nested arrays are not supported", what);
  Put(static_cast<uint32_t>(v.array_type), out);
  Put<uint64_t>(items->size(), out);
  for (size_t i = 0; i < items->size(); ++i) {
    const GgufValue& item = (*items)[i];
    if (item.type != v.array_type)
      return Err("{}[{}]: element of type {} in an array of {}", what, i, GgufTypeName(item.type),
                 GgufTypeName(v.array_type));
    MIXQ_RETURN_IF_ERROR(PutScalar(item, fmt::format("{}[{}]", what, i), out));
  }
  return Status::Ok();
}

Result<uint64_t> AlignmentOf(const std::vector<GgufKeyValue>& metadata) {
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key != "general.alignment") continue;
    const uint64_t* a = std::get_if<uint64_t>(&kv.value.value);
    if (kv.value.type != GgufType::kU32 || a == nullptr) return Err("key 'general.alignment' must be u32");
    if (*a == 0 || (*a & (*a - 1)) != 0) return Err("key 'general.alignment' is {}, not a power of two", *a);
    return *a;
  }
  return kDefaultAlignment;
}

Status PutMetadata(const std::vector<GgufKeyValue>& metadata, std::string* out) {
  std::set<std::string> keys;
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key.empty()) return Err("empty metadata key");
    if (!keys.insert(kv.key).second) return Err("key '{}' appears twice", kv.key);
    PutString(kv.key, out);
    MIXQ_RETURN_IF_ERROR(PutValue(kv.value, fmt::format("key '{}'", kv.key), out));
  }
  return Status::Ok();
}

// Checks a spec and returns its data size.
Result<size_t> SpecBytes(const GgufTensorSpec& t) {
  if (t.name.empty() || t.name.size() > kMaxNameBytes)
    return Err("tensor '{}': name must be 1 to {} bytes long", t.name, kMaxNameBytes);
  if (t.shape.size() > kMaxDims) return Err("tensor '{}': {} dimensions (GGUF allows {})", t.name, t.shape.size(), kMaxDims);
  int64_t numel = 1;
  for (int64_t d : t.shape)
    if (d <= 0 || __builtin_mul_overflow(numel, d, &numel))
      return Err("tensor '{}': bad shape {}", t.name, ShapeToString(t.shape));
  const DTypeInfo* info = FindDType(static_cast<uint32_t>(t.dtype));
  if (info == nullptr) return Err("tensor '{}': unknown type id {}", t.name, static_cast<uint32_t>(t.dtype));
  const int64_t row = t.shape.empty() ? 1 : t.shape.back();
  std::optional<size_t> nbytes = DTypeBytes(t.dtype, numel);
  if (row % info->block_size != 0 || !nbytes)
    return Err("tensor '{}': rows of {} elements are not a multiple of the {} block size {}", t.name, row, info->name,
               info->block_size);
  return *nbytes;
}

uint64_t AlignUp(uint64_t x, uint64_t alignment) { return (x + alignment - 1) / alignment * alignment; }

}  // namespace

Result<std::unique_ptr<GgufWriter>> GgufWriter::Create(const std::string& path, const std::vector<GgufKeyValue>& metadata,
                                                       std::vector<GgufTensorSpec> tensors) {
  std::unique_ptr<GgufWriter> w(new GgufWriter());
  w->path_ = path;
  w->tmp_path_ = path + ".tmp";
  auto alignment = AlignmentOf(metadata);
  if (!alignment.ok()) return alignment.status().WithContext("[gguf] " + path);
  w->alignment_ = *alignment;

  std::string header = "GGUF";
  Put(kVersion, &header);
  Put<uint64_t>(tensors.size(), &header);
  Put<uint64_t>(metadata.size(), &header);
  MIXQ_RETURN_IF_ERROR(PutMetadata(metadata, &header).WithContext("[gguf] " + path));
  std::set<std::string> names;
  uint64_t offset = 0;  // from the start of the data section
  for (const GgufTensorSpec& t : tensors) {
    auto nbytes = SpecBytes(t);
    if (!nbytes.ok()) return nbytes.status().WithContext("[gguf] " + path);
    if (!names.insert(t.name).second) return Err("[gguf] {}: tensor '{}' appears twice", path, t.name);
    PutString(t.name, &header);
    Put<uint32_t>(static_cast<uint32_t>(t.shape.size()), &header);
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) Put<uint64_t>(static_cast<uint64_t>(*d), &header);  // ne[]
    Put<uint32_t>(static_cast<uint32_t>(t.dtype), &header);
    Put<uint64_t>(offset, &header);
    w->sizes_.push_back(*nbytes);
    offset = AlignUp(offset + *nbytes, w->alignment_);
  }
  header.resize(AlignUp(header.size(), w->alignment_), '\0');
  w->file_size_ = header.size() + offset;
  w->specs_ = std::move(tensors);

  w->out_ = std::fopen(w->tmp_path_.c_str(), "wb");
  if (w->out_ == nullptr) return Err("[gguf] {}: cannot create: {}", w->tmp_path_, std::strerror(errno));
  if (std::fwrite(header.data(), 1, header.size(), w->out_) != header.size())
    return w->Fail(Err("[gguf] {}: write failed: {}", w->tmp_path_, std::strerror(errno)));
  return w;
}

GgufWriter::~GgufWriter() {
  if (out_ != nullptr) {
    std::fclose(out_);
    std::remove(tmp_path_.c_str());
  }
}

Status GgufWriter::Fail(Status error) {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
    std::remove(tmp_path_.c_str());
  }
  return error;
}

Status GgufWriter::WritePadding(uint64_t bytes) {
  static constexpr char kZeros[256] = {};
  while (bytes > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes, sizeof(kZeros)));
    if (std::fwrite(kZeros, 1, n, out_) != n) return Err("[gguf] {}: write failed: {}", tmp_path_, std::strerror(errno));
    bytes -= n;
  }
  return Status::Ok();
}

Status GgufWriter::WriteNext(const void* data, size_t nbytes) {
  if (out_ == nullptr) return Err("[gguf] {}: writer is closed (finished or failed)", path_);
  if (next_ >= specs_.size()) return Err("[gguf] {}: more tensors written than the {} declared", path_, specs_.size());
  const GgufTensorSpec& spec = specs_[next_];
  if (nbytes != sizes_[next_])
    return Err("[gguf] {}: tensor '{}': got {} bytes, shape {} of {} needs {}", path_, spec.name, nbytes,
               ShapeToString(spec.shape), DTypeName(spec.dtype), sizes_[next_]);
  if (nbytes > 0 && std::fwrite(data, 1, nbytes, out_) != nbytes)
    return Fail(Err("[gguf] {}: tensor '{}': write failed: {}", tmp_path_, spec.name, std::strerror(errno)));
  Status padded = WritePadding(AlignUp(nbytes, alignment_) - nbytes);
  if (!padded.ok()) return Fail(padded);
  ++next_;
  return Status::Ok();
}

Status GgufWriter::Finish() {
  if (out_ == nullptr) return Err("[gguf] {}: writer is closed (finished or failed)", path_);
  if (next_ != specs_.size())
    return Fail(Err("[gguf] {}: only {} of {} tensors written", path_, next_, specs_.size()));
  const bool flushed = std::fflush(out_) == 0 && ::fsync(fileno(out_)) == 0;
  const bool closed = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!flushed || !closed || std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const Status error = Err("[gguf] {}: cannot finish writing: {}", path_, std::strerror(errno));
    std::remove(tmp_path_.c_str());
    return error;
  }
  return Status::Ok();
}

Status WriteGguf(const std::string& path, const std::vector<GgufKeyValue>& metadata,
                 const std::vector<GgufTensorData>& tensors) {
  std::vector<GgufTensorSpec> specs;
  specs.reserve(tensors.size());
  for (const GgufTensorData& t : tensors) specs.push_back(t.spec);
  MIXQ_ASSIGN_OR_RETURN(std::unique_ptr<GgufWriter> writer, GgufWriter::Create(path, metadata, std::move(specs)));
  for (const GgufTensorData& t : tensors) MIXQ_RETURN_IF_ERROR(writer->WriteNext(t.data, t.nbytes));
  return writer->Finish();
}

}  // namespace mixq
