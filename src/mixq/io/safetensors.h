// safetensors (Hugging Face's weight format) reader and writer. Layout:
//   u64 LE header_len | header_len bytes of JSON | data blob
// The JSON maps each tensor name to {"dtype": "BF16", "shape": [out, in], "data_offsets":
// [begin, end]} with offsets relative to the blob start; "__metadata__" holds free-form strings.
// mixq reads and writes F32, F16 and BF16 only (what LLM checkpoints use); any other dtype is
// rejected by name. Every offset is checked against the file size, against the tensor's
// shape x dtype, and against the other tensors (no overlaps) before any byte is used.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/tensor/mapped_file.h"
#include "mixq/tensor/tensor.h"

namespace mixq {

// A mapped safetensors file: its tensors (in header order) are views into `file`.
struct SafetensorsFile {
  std::shared_ptr<MappedFile> file;
  std::vector<Tensor> tensors;
};

Result<SafetensorsFile> ReadSafetensors(const std::string& path);

// "F32"/"F16"/"BF16" <-> DType; nullopt/nullptr for anything else.
std::optional<DType> SafetensorsDType(const std::string& name);
const char* SafetensorsDTypeName(DType dtype);

// Streams a safetensors file tensor by tensor, so a model larger than memory can be written:
// the header is fixed up front from the specs (data pointers ignored), then each tensor's
// bytes are written in spec order. Bytes go to path + ".tmp", renamed onto path by Finish();
// a writer destroyed before Finish() removes the temp file.
class SafetensorsWriter {
 public:
  static Result<std::unique_ptr<SafetensorsWriter>> Create(const std::string& path, std::vector<Tensor> specs,
                                                           const std::map<std::string, std::string>& metadata = {});
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // Writes the next tensor's bytes; `nbytes` must equal its spec's byte size.
  Status WriteNext(const void* data, size_t nbytes);
  // Checks every tensor was written, flushes, and renames the temp file onto the path.
  Status Finish();

 private:
  SafetensorsWriter() = default;
  std::string path_;
  std::string tmp_path_;
  std::FILE* out_ = nullptr;
  std::vector<Tensor> specs_;
  size_t next_ = 0;
};

// Writes whole tensors (data and nbytes must be set) atomically: path + ".tmp", then rename.
Status WriteSafetensors(const std::string& path, const std::vector<Tensor>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace mixq
