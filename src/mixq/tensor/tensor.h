// Named, typed, shaped views of tensor bytes, and the set of them a model file holds.
// Shapes are listed outermost first, as PyTorch and safetensors do: a linear layer's weight
// is {out_features, in_features} with each row contiguous. (GGUF lists ne[] innermost first;
// the GGUF reader reverses it.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mixq/tensor/dtype.h"

namespace mixq {

struct Tensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // not owned; see TensorSet
  size_t nbytes = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t rows() const { return shape.size() < 2 ? 1 : numel() / shape.back(); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  template <typename T>
  const T* as() const { return static_cast<const T*>(data); }
};

std::string ShapeToString(const std::vector<int64_t>& shape);  // "[4096, 256]"

// A model's tensors by name, plus whatever keeps their bytes alive (mapped files, owned
// buffers). Order of insertion is kept for listing.
class TensorSet {
 public:
  void Add(Tensor tensor);
  void KeepAlive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }
  // Replaces the tensor with the same name (e.g. after converting its dtype).
  void Replace(Tensor tensor);

  const Tensor* Find(const std::string& name) const;
  bool Contains(const std::string& name) const { return Find(name) != nullptr; }
  const std::vector<Tensor>& all() const { return tensors_; }
  size_t size() const { return tensors_.size(); }

 private:
  std::vector<Tensor> tensors_;
  std::map<std::string, size_t> index_;
  std::vector<std::shared_ptr<const void>> owners_;
};

}  // namespace mixq
