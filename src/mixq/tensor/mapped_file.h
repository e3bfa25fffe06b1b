// A read-only memory map of a whole file. Weights are used in place from the map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "mixq/base/status.h"

namespace mixq {

class MappedFile {
 public:
  // Errors name the path: "[io] x.bin: cannot open: No such file or directory".
  static Result<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Hints that the pages inside [data, data + bytes) will not be read soon (the forward pass
  // uses a packed copy of them): the kernel may reclaim them; their contents are kept (a later
  // read faults them back in), and memory that is not file-backed is left as it is.
  static void ReleasePages(const void* data, size_t bytes);

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mixq
