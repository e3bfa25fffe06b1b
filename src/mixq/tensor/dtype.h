// Element types of stored tensors. Values equal ggml's type ids wherever ggml has the type, so
// GGUF files map one to one; mixq-only types (later) use ids from 1000 up, documented in
// docs/formats.md. A quantized type stores `block_size` elements in `block_bytes` bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace mixq {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ4_NL = 20,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct DTypeInfo {
  DType type;
  const char* name;    // as ggml and llama.cpp print it: "f32", "q4_K", "bf16"
  int64_t block_size;  // elements per block (1 for plain types)
  size_t block_bytes;  // bytes per block
  bool quantized;
};

// Traits of a known type; nullptr for ids mixq does not know.
const DTypeInfo* FindDType(uint32_t id);
const DTypeInfo& GetDTypeInfo(DType type);  // aborts on an unknown enum value
inline const char* DTypeName(DType type) { return GetDTypeInfo(type).name; }
std::optional<DType> ParseDType(const std::string& name);  // case-insensitive

// Bytes for `n_elements` of `type`; nullopt if n is not a multiple of the block size.
std::optional<size_t> DTypeBytes(DType type, int64_t n_elements);
inline double DTypeBitsPerWeight(DType type) {
  const DTypeInfo& info = GetDTypeInfo(type);
  return 8.0 * static_cast<double>(info.block_bytes) / static_cast<double>(info.block_size);
}

}  // namespace mixq
