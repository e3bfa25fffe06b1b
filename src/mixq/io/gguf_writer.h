// GGUF v3 writer: the layout io/gguf.h reads (and llama.cpp loads). The header (metadata and
// tensor infos, with every tensor's offset) is fixed up front from the specs, then each
// tensor's bytes are streamed in spec order, so a model is never held in memory twice: the
// caller converts or quantizes one tensor, writes it, and frees it.
//
//   magic "GGUF" | u32 3 | u64 n_tensors | u64 n_kv | key-values | tensor infos
//   | zero padding to the alignment | tensor 0 | padding | tensor 1 | padding | ...
//
// Alignment: `general.alignment` when the metadata sets it (u32, a power of two), else GGUF's
// default 32 (and the key is not written, as llama.cpp does). Each tensor starts at a multiple
// of the alignment from the start of the data section, and the file ends padded.
// Bytes go to path + ".tmp", renamed onto path by Finish(); a writer destroyed (or failing)
// before that removes the temp file, so a failed write never leaves a partial output.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/gguf.h"
#include "mixq/tensor/dtype.h"

namespace mixq {

// Builders for metadata values (integers are range-checked when written).
GgufValue GgufU8(uint8_t v);
GgufValue GgufI8(int8_t v);
GgufValue GgufU16(uint16_t v);
GgufValue GgufI16(int16_t v);
GgufValue GgufU32(uint32_t v);
GgufValue GgufI32(int32_t v);
GgufValue GgufU64(uint64_t v);
GgufValue GgufI64(int64_t v);
GgufValue GgufF32(float v);
GgufValue GgufF64(double v);
GgufValue GgufBool(bool v);
GgufValue GgufString(std::string v);
GgufValue GgufStringArray(const std::vector<std::string>& items);
GgufValue GgufF32Array(const std::vector<float>& items);
GgufValue GgufI32Array(const std::vector<int32_t>& items);
// An array of `element_type` scalars; every item must have that type.
GgufValue GgufArrayOf(GgufType element_type, GgufArray items);

// A tensor to be written: shape outermost first (mixq's order; the writer reverses it into
// GGUF's ne[]). The last dimension (the row) must be a multiple of the type's block size.
struct GgufTensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

class GgufWriter {
 public:
  // Validates everything before creating the temp file: keys unique and non-empty, each value
  // consistent with its type (no nested arrays), tensor names unique and shorter than ggml's
  // 64-byte limit, at most 4 dimensions, rows a whole number of blocks. Then writes the header.
  static Result<std::unique_ptr<GgufWriter>> Create(const std::string& path, const std::vector<GgufKeyValue>& metadata,
                                                    std::vector<GgufTensorSpec> tensors);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // Writes the next tensor's bytes (spec order); `nbytes` must equal the spec's byte size.
  Status WriteNext(const void* data, size_t nbytes);
  // Checks every tensor was written, flushes, and renames the temp file onto the path.
  Status Finish();

  const GgufTensorSpec* next_spec() const { return next_ < specs_.size() ? &specs_[next_] : nullptr; }
  // Bytes of tensor i's data (from its type and shape).
  size_t tensor_bytes(size_t i) const { return sizes_[i]; }
  // The file's size once finished.
  uint64_t file_size() const { return file_size_; }

 private:
  GgufWriter() = default;
  Status WritePadding(uint64_t bytes);
  Status Fail(Status error);  // closes and removes the temp file, returns the error

  std::string path_;
  std::string tmp_path_;
  std::FILE* out_ = nullptr;
  std::vector<GgufTensorSpec> specs_;
  std::vector<size_t> sizes_;
  uint64_t alignment_ = 32;
  uint64_t file_size_ = 0;
  size_t next_ = 0;
};

// Writes whole tensors (data and nbytes must be set) in one call: Create, WriteNext each, Finish.
struct GgufTensorData {
  GgufTensorSpec spec;
  const void* data = nullptr;
  size_t nbytes = 0;
};
Status WriteGguf(const std::string& path, const std::vector<GgufKeyValue>& metadata,
                 const std::vector<GgufTensorData>& tensors);

}  // namespace mixq
