#include "mixq/io/safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace mixq {
namespace {

using Json = nlohmann::ordered_json;  // keeps the header's tensor order

struct Extent {
  uint64_t begin;
  uint64_t end;
  const std::string* name;
};

Result<std::vector<uint64_t>> ReadUintArray(const Json& entry, const char* field, const std::string& where) {
  auto it = entry.find(field);
  if (it == entry.end()) return Err("{}: missing '{}'", where, field);
  if (!it->is_array()) return Err("{}: '{}' must be an array, got {}", where, field, it->dump());
  std::vector<uint64_t> values;
  for (const Json& v : *it) {
    if (!v.is_number_unsigned()) return Err("{}: '{}' must hold non-negative integers, got {}", where, field, it->dump());
    values.push_back(v.get<uint64_t>());
  }
  return values;
}

// Parses one header entry into a view; `data_start` is the blob's offset in the file.
Result<Tensor> ParseEntry(const MappedFile& file, const std::string& name, const Json& entry, uint64_t data_start,
                          Extent* extent) {
  const std::string where = fmt::format("[safetensors] {}: '{}'", file.path(), name);
  if (!entry.is_object()) return Err("{}: entry must be an object, got {}", where, entry.dump());
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) return Err("{}: missing string 'dtype'", where);
  const std::string dtype_name = dtype_it->get<std::string>();
  std::optional<DType> dtype = SafetensorsDType(dtype_name);
  if (!dtype) return Err("{}: unsupported dtype '{}' (mixq reads F32, F16, BF16)", where, dtype_name);

  MIXQ_ASSIGN_OR_RETURN(std::vector<uint64_t> shape, ReadUintArray(entry, "shape", where));
  MIXQ_ASSIGN_OR_RETURN(std::vector<uint64_t> offsets, ReadUintArray(entry, "data_offsets", where));
  if (offsets.size() != 2) return Err("{}: 'data_offsets' must hold 2 integers, got {}", where, offsets.size());
  const uint64_t begin = offsets[0], end = offsets[1];

  Tensor t;
  t.name = name;
  t.dtype = *dtype;
  int64_t numel = 1;
  for (uint64_t d : shape) {
    if (d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, static_cast<int64_t>(d), &numel))
      return Err("{}: shape {} is too large", where, entry["shape"].dump());
    t.shape.push_back(static_cast<int64_t>(d));
  }
  const size_t elem_bytes = GetDTypeInfo(*dtype).block_bytes;
  uint64_t expected = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), elem_bytes, &expected))
    return Err("{}: shape {} is too large", where, ShapeToString(t.shape));

  if (begin > end) return Err("{}: data_offsets [{}, {}] begin after end", where, begin, end);
  const uint64_t data_size = file.size() - data_start;
  if (end > data_size)
    return Err("{}: data offset {} past end of file (size {}; data section {} bytes from byte {})", where, end,
               file.size(), data_size, data_start);
  if (end - begin != expected)
    return Err("{}: data_offsets [{}, {}] hold {} bytes but shape {} x {} needs {}", where, begin, end, end - begin,
               ShapeToString(t.shape), dtype_name, expected);
  t.data = file.data() + data_start + begin;
  t.nbytes = static_cast<size_t>(expected);
  *extent = Extent{begin, end, nullptr};
  return t;
}

// Tensors may not share bytes: a file that aliases them is corrupt or hostile.
Status CheckNoOverlap(const std::string& path, std::vector<Extent> extents) {
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
  const Extent* prev = nullptr;
  for (const Extent& e : extents) {
    if (e.begin == e.end) continue;  // empty tensors occupy nothing
    if (prev != nullptr && e.begin < prev->end)
      return Err("[safetensors] {}: '{}' data [{}, {}] overlaps '{}' data [{}, {}]", path, *e.name, e.begin, e.end,
                 *prev->name, prev->begin, prev->end);
    if (prev == nullptr || e.end > prev->end) prev = &e;
  }
  return Status::Ok();
}

Result<Json> ParseHeader(const MappedFile& file, uint64_t* data_start) {
  const std::string& path = file.path();
  if (file.size() < 8) return Err("[safetensors] {}: file is {} bytes, too short for the header length", path, file.size());
  uint64_t header_len = 0;
  std::memcpy(&header_len, file.data(), 8);  // little-endian host assumed (x86-64, arm64)
  if (header_len > file.size() - 8)
    return Err("[safetensors] {}: header length {} past end of file (size {})", path, header_len, file.size());
  const char* text = reinterpret_cast<const char*>(file.data() + 8);
  Json header;
  try {
    header = Json::parse(text, text + header_len);
  } catch (const Json::exception& e) {
    return Err("[safetensors] {}: malformed JSON header: {}", path, e.what());
  }
  if (!header.is_object()) return Err("[safetensors] {}: JSON header must be an object", path);
  *data_start = 8 + header_len;
  return header;
}

}  // namespace

std::optional<DType> SafetensorsDType(const std::string& name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return std::nullopt;
}

const char* SafetensorsDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    default: return nullptr;
  }
}

Result<SafetensorsFile> ReadSafetensors(const std::string& path) {
  SafetensorsFile result;
  MIXQ_ASSIGN_OR_RETURN(result.file, MappedFile::Open(path));
  uint64_t data_start = 0;
  MIXQ_ASSIGN_OR_RETURN(Json header, ParseHeader(*result.file, &data_start));
  std::vector<Extent> extents;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;  // free-form provenance strings
    Extent extent{};
    MIXQ_ASSIGN_OR_RETURN(Tensor t, ParseEntry(*result.file, it.key(), it.value(), data_start, &extent));
    result.tensors.push_back(std::move(t));
    extents.push_back(extent);
  }
  for (size_t i = 0; i < extents.size(); ++i) extents[i].name = &result.tensors[i].name;
  MIXQ_RETURN_IF_ERROR(CheckNoOverlap(path, std::move(extents)));
  return result;
}

Result<std::unique_ptr<SafetensorsWriter>> SafetensorsWriter::Create(const std::string& path, std::vector<Tensor> specs,
                                                                     const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (Tensor& t : specs) {
    const char* dtype = SafetensorsDTypeName(t.dtype);
    if (dtype == nullptr) return Err("[safetensors] {}: '{}': cannot write dtype {}", path, t.name, DTypeName(t.dtype));
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      return Err("[safetensors] {}: '{}': duplicate or reserved tensor name", path, t.name);
    t.nbytes = static_cast<size_t>(t.numel()) * GetDTypeInfo(t.dtype).block_bytes;
    header[t.name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the blob 8-byte aligned

  std::unique_ptr<SafetensorsWriter> writer(new SafetensorsWriter());
  writer->path_ = path;
  writer->tmp_path_ = path + ".tmp";
  writer->specs_ = std::move(specs);
  writer->out_ = std::fopen(writer->tmp_path_.c_str(), "wb");
  if (writer->out_ == nullptr) return Err("[safetensors] {}: cannot create: {}", writer->tmp_path_, std::strerror(errno));
  const uint64_t header_len = text.size();
  if (std::fwrite(&header_len, 8, 1, writer->out_) != 1 || std::fwrite(text.data(), 1, text.size(), writer->out_) != text.size())
    return Err("[safetensors] {}: write failed: {}", writer->tmp_path_, std::strerror(errno));
  return writer;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (out_ != nullptr) {
    std::fclose(out_);
    std::remove(tmp_path_.c_str());
  }
}

Status SafetensorsWriter::WriteNext(const void* data, size_t nbytes) {
  if (out_ == nullptr || next_ >= specs_.size()) return Err("[safetensors] {}: more tensors written than declared", path_);
  const Tensor& spec = specs_[next_];
  if (nbytes != spec.nbytes)
    return Err("[safetensors] {}: '{}': got {} bytes, shape {} x {} needs {}", path_, spec.name, nbytes,
               ShapeToString(spec.shape), SafetensorsDTypeName(spec.dtype), spec.nbytes);
  if (nbytes > 0 && std::fwrite(data, 1, nbytes, out_) != nbytes)
    return Err("[safetensors] {}: '{}': write failed: {}", tmp_path_, spec.name, std::strerror(errno));
  ++next_;
  return Status::Ok();
}

Status SafetensorsWriter::Finish() {
  if (out_ == nullptr) return Err("[safetensors] {}: already finished", path_);
  if (next_ != specs_.size())
    return Err("[safetensors] {}: only {} of {} tensors written", path_, next_, specs_.size());
  const bool flushed = std::fflush(out_) == 0 && ::fsync(fileno(out_)) == 0;
  const bool closed = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!flushed || !closed || std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const Status error = Err("[safetensors] {}: cannot finish writing: {}", path_, std::strerror(errno));
    std::remove(tmp_path_.c_str());
    return error;
  }
  return Status::Ok();
}

Status WriteSafetensors(const std::string& path, const std::vector<Tensor>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  MIXQ_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsWriter> writer, SafetensorsWriter::Create(path, tensors, metadata));
  for (const Tensor& t : tensors) MIXQ_RETURN_IF_ERROR(writer->WriteNext(t.data, t.nbytes));
  return writer->Finish();
}

}  // namespace mixq
