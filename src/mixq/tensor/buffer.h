// Owned, 64-byte aligned storage for converted or repacked tensors and activations.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mixq {

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

// Zero-initialised, 64-byte aligned, owned bytes; can be handed to TensorSet::KeepAlive.
inline std::shared_ptr<void> AllocateAligned(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (p == nullptr) return nullptr;
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return std::shared_ptr<void>(p, AlignedFree());
}

// A typed, aligned, owned array (activations, scratch).
template <typename T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n) : n_(n), p_(AllocateAligned(n * sizeof(T))) {}
  T* data() { return static_cast<T*>(p_.get()); }
  const T* data() const { return static_cast<const T*>(p_.get()); }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

 private:
  size_t n_ = 0;
  std::shared_ptr<void> p_;
};

}  // namespace mixq
