#include "mixq/tensor/tensor.h"

#include "mixq/base/status.h"

namespace mixq {

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void TensorSet::Add(Tensor tensor) {
  MIXQ_CHECK(index_.find(tensor.name) == index_.end());
  index_[tensor.name] = tensors_.size();
  tensors_.push_back(std::move(tensor));
}

void TensorSet::Replace(Tensor tensor) {
  auto it = index_.find(tensor.name);
  if (it == index_.end()) {
    Add(std::move(tensor));
    return;
  }
  tensors_[it->second] = std::move(tensor);
}

const Tensor* TensorSet::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace mixq
