#include "mixq/io/gguf.h"

#include <cstring>
#include <set>

namespace mixq {
namespace {

constexpr int kMaxDims = 4;  // ggml tensors have at most 4 dimensions
// Smallest encodings, used to reject counts that could not fit in the bytes left:
// a key-value pair is at least an empty key (8) + type (4) + a 1-byte value; a tensor info
// an empty name (8) + n_dims (4) + type (4) + offset (8).
constexpr uint64_t kMinKvBytes = 13;
constexpr uint64_t kMinTensorInfoBytes = 24;

// Bytes of one scalar of `type`; 0 for strings, arrays and unknown ids.
size_t ScalarBytes(uint32_t type) {
  switch (static_cast<GgufType>(type)) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kBool: return 1;
    case GgufType::kU16: case GgufType::kI16: return 2;
    case GgufType::kU32: case GgufType::kI32: case GgufType::kF32: return 4;
    case GgufType::kU64: case GgufType::kI64: case GgufType::kF64: return 8;
    default: return 0;
  }
}

bool IsInteger(GgufType t) {
  return t == GgufType::kU8 || t == GgufType::kI8 || t == GgufType::kU16 || t == GgufType::kI16 ||
         t == GgufType::kU32 || t == GgufType::kI32 || t == GgufType::kU64 || t == GgufType::kI64;
}

// Bounds-checked little-endian reads over the mapped file. `what` names the key or tensor
// being read, so a truncated file says where it broke.
class Cursor {
 public:
  explicit Cursor(const MappedFile& file) : file_(file) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return file_.size() - pos_; }

  template <typename T>
  Status Read(T* out, const std::string& what) {
    if (remaining() < sizeof(T))
      return Err("[gguf] {}: {}: truncated at byte {} (file size {})", file_.path(), what, pos_, file_.size());
    std::memcpy(out, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string* out, const std::string& what) {
    uint64_t len = 0;
    MIXQ_RETURN_IF_ERROR(Read(&len, what));
    if (len > remaining())
      return Err("[gguf] {}: {}: string length {} at byte {} past end of file (size {})", file_.path(), what, len,
                 pos_ - 8, file_.size());
    out->assign(reinterpret_cast<const char*>(file_.data() + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

  const std::string& path() const { return file_.path(); }

 private:
  const MappedFile& file_;
  uint64_t pos_ = 0;
};

Status ReadScalar(Cursor* c, GgufType type, GgufValue* v, const std::string& what) {
  v->type = type;
  switch (type) {
#define MIXQ_GGUF_SCALAR(enum_name, ctype, held)        \
  case GgufType::enum_name: {                            \
    ctype x{};                                           \
    MIXQ_RETURN_IF_ERROR(c->Read(&x, what));             \
    v->value = static_cast<held>(x);                     \
    return Status::Ok();                                 \
  }
    MIXQ_GGUF_SCALAR(kU8, uint8_t, uint64_t)
    MIXQ_GGUF_SCALAR(kI8, int8_t, int64_t)
    MIXQ_GGUF_SCALAR(kU16, uint16_t, uint64_t)
    MIXQ_GGUF_SCALAR(kI16, int16_t, int64_t)
    MIXQ_GGUF_SCALAR(kU32, uint32_t, uint64_t)
    MIXQ_GGUF_SCALAR(kI32, int32_t, int64_t)
    MIXQ_GGUF_SCALAR(kU64, uint64_t, uint64_t)
    MIXQ_GGUF_SCALAR(kI64, int64_t, int64_t)
    MIXQ_GGUF_SCALAR(kF32, float, double)
    MIXQ_GGUF_SCALAR(kF64, double, double)
#undef MIXQ_GGUF_SCALAR
    case GgufType::kBool: {
      uint8_t x = 0;
      MIXQ_RETURN_IF_ERROR(c->Read(&x, what));
      v->value = x != 0;
      return Status::Ok();
    }
    case GgufType::kString: {
      std::string s;
      MIXQ_RETURN_IF_ERROR(c->ReadString(&s, what));
      v->value = std::move(s);
      return Status::Ok();
    }
    default:
      return Err("[gguf] {}: {}: unknown value type {}", c->path(), what, static_cast<uint32_t>(type));
  }
}

Status ReadValue(Cursor* c, uint32_t type_id, GgufValue* v, const std::string& what) {
  if (type_id != static_cast<uint32_t>(GgufType::kArray)) return ReadScalar(c, static_cast<GgufType>(type_id), v, what);
  uint32_t elem_type = 0;
  uint64_t count = 0;
  MIXQ_RETURN_IF_ERROR(c->Read(&elem_type, what));
  MIXQ_RETURN_IF_ERROR(c->Read(&count, what));
  if (elem_type == static_cast<uint32_t>(GgufType::kArray))
    return Err("[gguf] {}: {}: nested arrays are not supported", c->path(), what);
  const bool is_string = elem_type == static_cast<uint32_t>(GgufType::kString);
  const size_t min_bytes = is_string ? 8 : ScalarBytes(elem_type);
  if (min_bytes == 0) return Err("[gguf] {}: {}: unknown array element type {}", c->path(), what, elem_type);
  if (count > c->remaining() / min_bytes)
    return Err("[gguf] {}: {}: array of {} elements past end of file ({} bytes left)", c->path(), what, count,
               c->remaining());
  GgufArray items(count);
  for (uint64_t i = 0; i < count; ++i) MIXQ_RETURN_IF_ERROR(ReadScalar(c, static_cast<GgufType>(elem_type), &items[i], what));
  v->type = GgufType::kArray;
  v->array_type = static_cast<GgufType>(elem_type);
  v->value = std::move(items);
  return Status::Ok();
}

}  // namespace

const char* GgufTypeName(GgufType type) {
  static constexpr const char* kNames[] = {"u8",  "i8",     "u16",   "i16", "u32", "i32", "f32",
                                           "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(type);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

namespace {

Status ReadHeader(const MappedFile& file, Cursor* c, uint32_t* version, uint64_t* n_tensors, uint64_t* n_kv) {
  const std::string& path = file.path();
  if (file.size() < 24) return Err("[gguf] {}: file is {} bytes, too short for the GGUF header", path, file.size());
  char magic[4];
  std::memcpy(magic, file.data(), 4);
  if (std::memcmp(magic, "GGUF", 4) != 0)
    return Err("[gguf] {}: bad magic {:02x} {:02x} {:02x} {:02x} (expected \"GGUF\")", path,
               static_cast<uint8_t>(magic[0]), static_cast<uint8_t>(magic[1]), static_cast<uint8_t>(magic[2]),
               static_cast<uint8_t>(magic[3]));
  uint32_t skip = 0;
  MIXQ_RETURN_IF_ERROR(c->Read(&skip, "magic"));
  MIXQ_RETURN_IF_ERROR(c->Read(version, "version"));
  if (*version != 2 && *version != 3) return Err("[gguf] {}: unsupported version {} (mixq reads 2 and 3)", path, *version);
  MIXQ_RETURN_IF_ERROR(c->Read(n_tensors, "tensor count"));
  MIXQ_RETURN_IF_ERROR(c->Read(n_kv, "metadata count"));
  if (*n_kv > c->remaining() / kMinKvBytes)
    return Err("[gguf] {}: metadata count {} cannot fit in the {} bytes left", path, *n_kv, c->remaining());
  if (*n_tensors > c->remaining() / kMinTensorInfoBytes)
    return Err("[gguf] {}: tensor count {} cannot fit in the {} bytes left", path, *n_tensors, c->remaining());
  return Status::Ok();
}

Status ReadMetadata(Cursor* c, uint64_t n_kv, std::vector<GgufKeyValue>* metadata) {
  std::set<std::string> seen;
  for (uint64_t i = 0; i < n_kv; ++i) {
    GgufKeyValue kv;
    MIXQ_RETURN_IF_ERROR(c->ReadString(&kv.key, fmt::format("key #{}", i)));
    const std::string what = fmt::format("key '{}'", kv.key);
    if (!seen.insert(kv.key).second) return Err("[gguf] {}: {} appears twice", c->path(), what);
    uint32_t type = 0;
    MIXQ_RETURN_IF_ERROR(c->Read(&type, what));
    MIXQ_RETURN_IF_ERROR(ReadValue(c, type, &kv.value, what));
    metadata->push_back(std::move(kv));
  }
  return Status::Ok();
}

Status ReadTensorInfo(Cursor* c, uint64_t index, GgufTensorInfo* t) {
  MIXQ_RETURN_IF_ERROR(c->ReadString(&t->name, fmt::format("tensor #{}", index)));
  const std::string what = fmt::format("tensor '{}'", t->name);
  uint32_t n_dims = 0;
  MIXQ_RETURN_IF_ERROR(c->Read(&n_dims, what));
  if (n_dims > kMaxDims) return Err("[gguf] {}: {}: n_dims {} > {}", c->path(), what, n_dims, kMaxDims);
  int64_t numel = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t ne = 0;
    MIXQ_RETURN_IF_ERROR(c->Read(&ne, what));
    if (ne > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, static_cast<int64_t>(ne), &numel))
      return Err("[gguf] {}: {}: dimension {} is too large", c->path(), what, ne);
    t->shape.insert(t->shape.begin(), static_cast<int64_t>(ne));  // ne[] is innermost first
  }
  uint32_t type_id = 0;
  MIXQ_RETURN_IF_ERROR(c->Read(&type_id, what));
  const DTypeInfo* info = FindDType(type_id);
  if (info == nullptr) return Err("[gguf] {}: {}: unknown ggml tensor type {}", c->path(), what, type_id);
  t->dtype = info->type;
  MIXQ_RETURN_IF_ERROR(c->Read(&t->offset, what));
  const int64_t row = t->shape.empty() ? 1 : t->shape.back();
  std::optional<size_t> nbytes = DTypeBytes(t->dtype, numel);
  if (row % info->block_size != 0 || !nbytes)
    return Err("[gguf] {}: {}: rows of {} elements are not a multiple of the {} block size {}", c->path(), what, row,
               info->name, info->block_size);
  t->nbytes = *nbytes;
  return Status::Ok();
}

Status CheckTensorData(const std::string& path, const std::vector<GgufTensorInfo>& infos, uint64_t file_size,
                       uint64_t data_offset, uint64_t alignment) {
  const uint64_t data_size = data_offset <= file_size ? file_size - data_offset : 0;
  for (const GgufTensorInfo& t : infos) {
    if (t.offset % alignment != 0)
      return Err("[gguf] {}: tensor '{}': offset {} is not a multiple of the alignment {}", path, t.name, t.offset,
                 alignment);
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      return Err("[gguf] {}: tensor '{}': data [{}, {}) past end of file (data section {} bytes from byte {})", path,
                 t.name, t.offset, t.offset + t.nbytes, data_size, data_offset);
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  std::shared_ptr<GgufFile> gguf(new GgufFile());
  MIXQ_ASSIGN_OR_RETURN(gguf->file_, MappedFile::Open(path));
  Cursor c(*gguf->file_);
  uint64_t n_tensors = 0, n_kv = 0;
  MIXQ_RETURN_IF_ERROR(ReadHeader(*gguf->file_, &c, &gguf->version_, &n_tensors, &n_kv));
  MIXQ_RETURN_IF_ERROR(ReadMetadata(&c, n_kv, &gguf->metadata_));
  if (const GgufValue* a = gguf->Find("general.alignment")) {
    if (a->type != GgufType::kU32) return Err("[gguf] {}: key 'general.alignment' must be u32", path);
    gguf->alignment_ = std::get<uint64_t>(a->value);
    if (gguf->alignment_ == 0 || (gguf->alignment_ & (gguf->alignment_ - 1)) != 0)
      return Err("[gguf] {}: key 'general.alignment' is {}, not a power of two", path, gguf->alignment_);
  }
  std::set<std::string> names;
  gguf->tensor_infos_.resize(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo& t = gguf->tensor_infos_[i];
    MIXQ_RETURN_IF_ERROR(ReadTensorInfo(&c, i, &t));
    if (!names.insert(t.name).second) return Err("[gguf] {}: tensor '{}' appears twice", path, t.name);
  }
  gguf->data_offset_ = (c.pos() + gguf->alignment_ - 1) / gguf->alignment_ * gguf->alignment_;
  MIXQ_RETURN_IF_ERROR(
      CheckTensorData(path, gguf->tensor_infos_, gguf->file_->size(), gguf->data_offset_, gguf->alignment_));
  return gguf;
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  for (const GgufKeyValue& kv : metadata_)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

namespace {

bool AsInt(const GgufValue& v, int64_t* out) {
  if (!IsInteger(v.type)) return false;
  if (const int64_t* i = std::get_if<int64_t>(&v.value)) {
    *out = *i;
    return true;
  }
  const uint64_t u = std::get<uint64_t>(v.value);
  if (u > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = static_cast<int64_t>(u);
  return true;
}

bool AsFloat(const GgufValue& v, double* out) {
  if (const double* d = std::get_if<double>(&v.value)) {
    *out = *d;
    return true;
  }
  int64_t i = 0;
  if (!AsInt(v, &i)) return false;
  *out = static_cast<double>(i);
  return true;
}

std::string TypeString(const GgufValue& v) {
  if (v.type != GgufType::kArray) return GgufTypeName(v.type);
  return fmt::format("array of {}", GgufTypeName(v.array_type));
}

// Looks the key up and converts its value (or each array element) with `convert`.
template <typename T, typename Convert>
Result<T> GetAs(const GgufFile& f, const std::string& key, const char* expected, Convert convert) {
  const GgufValue* v = f.Find(key);
  if (v == nullptr) return Err("[gguf] {}: missing key '{}'", f.path(), key);
  T out{};
  if (!convert(*v, &out))
    return Err("[gguf] {}: key '{}' has type {}, expected {}", f.path(), key, TypeString(*v), expected);
  return out;
}

template <typename T, typename Convert>
bool ConvertArray(const GgufValue& v, std::vector<T>* out, Convert convert) {
  const GgufArray* items = std::get_if<GgufArray>(&v.value);
  if (items == nullptr) return false;
  out->resize(items->size());
  for (size_t i = 0; i < items->size(); ++i)
    if (!convert((*items)[i], &(*out)[i])) return false;
  return true;
}

bool AsString(const GgufValue& v, std::string* out) {
  const std::string* s = std::get_if<std::string>(&v.value);
  if (s != nullptr) *out = *s;
  return s != nullptr;
}

}  // namespace

Result<std::string> GgufFile::GetString(const std::string& key) const {
  return GetAs<std::string>(*this, key, "string", AsString);
}
Result<int64_t> GgufFile::GetInt(const std::string& key) const { return GetAs<int64_t>(*this, key, "integer", AsInt); }
Result<double> GgufFile::GetFloat(const std::string& key) const { return GetAs<double>(*this, key, "float", AsFloat); }
Result<bool> GgufFile::GetBool(const std::string& key) const {
  return GetAs<bool>(*this, key, "bool", [](const GgufValue& v, bool* out) {
    const bool* b = std::get_if<bool>(&v.value);
    if (b != nullptr) *out = *b;
    return b != nullptr;
  });
}
Result<std::vector<std::string>> GgufFile::GetStringArray(const std::string& key) const {
  return GetAs<std::vector<std::string>>(*this, key, "array of string",
                                         [](const GgufValue& v, auto* out) { return ConvertArray(v, out, AsString); });
}
Result<std::vector<double>> GgufFile::GetFloatArray(const std::string& key) const {
  return GetAs<std::vector<double>>(*this, key, "array of float",
                                    [](const GgufValue& v, auto* out) { return ConvertArray(v, out, AsFloat); });
}
Result<std::vector<int64_t>> GgufFile::GetIntArray(const std::string& key) const {
  return GetAs<std::vector<int64_t>>(*this, key, "array of integer",
                                     [](const GgufValue& v, auto* out) { return ConvertArray(v, out, AsInt); });
}

void GgufFile::AddTensorsTo(TensorSet* set) const {
  for (const GgufTensorInfo& info : tensor_infos_)
    set->Add(Tensor{info.name, info.dtype, info.shape, file_->data() + data_offset_ + info.offset, info.nbytes});
  set->KeepAlive(file_);
}

}  // namespace mixq
