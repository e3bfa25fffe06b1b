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
  // mixq-only research formats (docs/formats-research.md). Group-wise integers have no
  // enumerators: their ids come from IntGroupTypeId below (1020 .. 1085).
  kFp8E4M3G32 = 1100,   // OCP FP8 E4M3 codes, one f16 scale per 32
  kFp8E4M3G64 = 1101,
  kFp8E4M3G128 = 1102,
  kFp8E4M3PerChannel = 1103,  // one f32 scale per row, repeated in each 128-element block
  kMxfp4G32 = 1110,     // OCP MX: 32 E2M1 codes + one E8M0 power-of-two scale
  kNvfp4G16 = 1111,     // 16 E2M1 codes + one E4M3 scale (per-tensor scale kept outside)
};

// Id of the group-wise integer type "int<bits>_g<group>_<sym|asym>": 1000 + 10*bits +
// 2*(group/64) + asym, so int4_g128_sym = 1044, int2_g64_asym = 1023. Only bits 2, 3, 4, 5,
// 6, 8 and groups 32, 64, 128 exist; other arguments give 0xffffffff, which FindDType rejects.
constexpr uint32_t IntGroupTypeId(int bits, int group, bool asym) {
  const bool bits_ok = bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8;
  const int g = group == 32 ? 0 : group == 64 ? 1 : group == 128 ? 2 : -1;
  if (!bits_ok || g < 0) return 0xffffffffu;
  return 1000u + 10u * static_cast<uint32_t>(bits) + 2u * static_cast<uint32_t>(g) + (asym ? 1u : 0u);
}
inline constexpr DType IntGroupDType(int bits, int group, bool asym) {
  return static_cast<DType>(IntGroupTypeId(bits, group, asym));
}

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
