// GGUF v3 reader (the llama.cpp file format). Layout, little-endian:
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x (string key, u32 value_type, value)          string = u64 length + bytes
//   n_tensors x (string name, u32 n_dims, u64 ne[n_dims] innermost first, u32 ggml_type, u64 offset)
//   padding to `general.alignment` (default 32), then the tensor data blob; offsets are
//   relative to the blob start and aligned.
// Every count, length and offset is checked against the file size before use, so truncated or
// lying files fail with an error naming the file and the key or tensor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/tensor/mapped_file.h"
#include "mixq/tensor/tensor.h"

namespace mixq {

// GGUF metadata value types (gguf_type).
enum class GgufType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

const char* GgufTypeName(GgufType type);  // "u32", "string", "array"

struct GgufValue;
using GgufArray = std::vector<GgufValue>;
struct GgufValue {
  GgufType type = GgufType::kU8;
  // Integers of every width and bool are held as int64/uint64; floats as double.
  std::variant<int64_t, uint64_t, double, bool, std::string, GgufArray> value;
  GgufType array_type = GgufType::kU8;  // element type when type == kArray
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;  // outermost first (reversed from GGUF's ne[])
  uint64_t offset = 0;          // from the start of the data blob
  size_t nbytes = 0;
};

class GgufFile {
 public:
  static Result<std::shared_ptr<GgufFile>> Open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensor_infos() const { return tensor_infos_; }

  const GgufValue* Find(const std::string& key) const;
  // Typed getters; errors name the file and key ("missing" or "has type X, expected Y").
  Result<std::string> GetString(const std::string& key) const;
  Result<int64_t> GetInt(const std::string& key) const;  // any integer type
  Result<double> GetFloat(const std::string& key) const;  // f32/f64 (or integer)
  Result<bool> GetBool(const std::string& key) const;
  Result<std::vector<std::string>> GetStringArray(const std::string& key) const;
  Result<std::vector<double>> GetFloatArray(const std::string& key) const;
  Result<std::vector<int64_t>> GetIntArray(const std::string& key) const;

  // The tensors as views into the mapped file (they keep the mapping alive).
  void AddTensorsTo(TensorSet* set) const;

 private:
  GgufFile() = default;
  std::shared_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensor_infos_;
};

}  // namespace mixq
