#include "mixq/tensor/dtype.h"

#include <strings.h>

#include <array>

#include "mixq/base/status.h"

namespace mixq {
namespace {

// Group-wise integer research type: one block is one group, an f16 scale (+ an f16 offset when
// asymmetric) then group * bits / 8 bytes of densely packed codes (docs/formats-research.md).
constexpr DTypeInfo IntGroup(int bits, int group, bool asym, const char* name) {
  return {IntGroupDType(bits, group, asym), name, group, static_cast<size_t>((asym ? 4 : 2) + group * bits / 8), true};
}

// Block sizes and byte counts follow ggml's block structs (ggml-common.h layouts); the
// research types after them follow docs/formats-research.md.
constexpr std::array<DTypeInfo, 63> kTypes = {{
    {DType::kF32, "f32", 1, 4, false},
    {DType::kF16, "f16", 1, 2, false},
    {DType::kBF16, "bf16", 1, 2, false},
    {DType::kF64, "f64", 1, 8, false},
    {DType::kI8, "i8", 1, 1, false},
    {DType::kI16, "i16", 1, 2, false},
    {DType::kI32, "i32", 1, 4, false},
    {DType::kI64, "i64", 1, 8, false},
    {DType::kQ4_0, "q4_0", 32, 18, true},    // f16 d + 16 bytes of nibbles
    {DType::kQ4_1, "q4_1", 32, 20, true},    // f16 d, f16 m + 16 bytes
    {DType::kQ5_0, "q5_0", 32, 22, true},    // f16 d + 4 bytes high bits + 16 bytes
    {DType::kQ5_1, "q5_1", 32, 24, true},    // f16 d, f16 m + 4 + 16
    {DType::kQ8_0, "q8_0", 32, 34, true},    // f16 d + 32 int8
    {DType::kQ8_1, "q8_1", 32, 36, true},    // f16 d, f16 s + 32 int8
    {DType::kQ2_K, "q2_K", 256, 84, true},   // 16 scales + 64 quants + 2 f16
    {DType::kQ3_K, "q3_K", 256, 110, true},  // 32 hmask + 64 quants + 12 scales + f16
    {DType::kQ4_K, "q4_K", 256, 144, true},  // 2 f16 + 12 scales + 128 quants
    {DType::kQ5_K, "q5_K", 256, 176, true},  // 2 f16 + 12 scales + 32 qh + 128 qs
    {DType::kQ6_K, "q6_K", 256, 210, true},  // 128 ql + 64 qh + 16 scales + f16
    {DType::kQ8_K, "q8_K", 256, 292, true},  // f32 d + 256 int8 + 16 int16 sums
    {DType::kIQ4_NL, "iq4_nl", 32, 18, true},
    IntGroup(2, 32, false, "int2_g32_sym"),
    IntGroup(2, 32, true, "int2_g32_asym"),
    IntGroup(2, 64, false, "int2_g64_sym"),
    IntGroup(2, 64, true, "int2_g64_asym"),
    IntGroup(2, 128, false, "int2_g128_sym"),
    IntGroup(2, 128, true, "int2_g128_asym"),
    IntGroup(3, 32, false, "int3_g32_sym"),
    IntGroup(3, 32, true, "int3_g32_asym"),
    IntGroup(3, 64, false, "int3_g64_sym"),
    IntGroup(3, 64, true, "int3_g64_asym"),
    IntGroup(3, 128, false, "int3_g128_sym"),
    IntGroup(3, 128, true, "int3_g128_asym"),
    IntGroup(4, 32, false, "int4_g32_sym"),
    IntGroup(4, 32, true, "int4_g32_asym"),
    IntGroup(4, 64, false, "int4_g64_sym"),
    IntGroup(4, 64, true, "int4_g64_asym"),
    IntGroup(4, 128, false, "int4_g128_sym"),
    IntGroup(4, 128, true, "int4_g128_asym"),
    IntGroup(5, 32, false, "int5_g32_sym"),
    IntGroup(5, 32, true, "int5_g32_asym"),
    IntGroup(5, 64, false, "int5_g64_sym"),
    IntGroup(5, 64, true, "int5_g64_asym"),
    IntGroup(5, 128, false, "int5_g128_sym"),
    IntGroup(5, 128, true, "int5_g128_asym"),
    IntGroup(6, 32, false, "int6_g32_sym"),
    IntGroup(6, 32, true, "int6_g32_asym"),
    IntGroup(6, 64, false, "int6_g64_sym"),
    IntGroup(6, 64, true, "int6_g64_asym"),
    IntGroup(6, 128, false, "int6_g128_sym"),
    IntGroup(6, 128, true, "int6_g128_asym"),
    IntGroup(8, 32, false, "int8_g32_sym"),
    IntGroup(8, 32, true, "int8_g32_asym"),
    IntGroup(8, 64, false, "int8_g64_sym"),
    IntGroup(8, 64, true, "int8_g64_asym"),
    IntGroup(8, 128, false, "int8_g128_sym"),
    IntGroup(8, 128, true, "int8_g128_asym"),
    {DType::kFp8E4M3G32, "fp8_e4m3_g32", 32, 34, true},      // f16 scale + 32 E4M3
    {DType::kFp8E4M3G64, "fp8_e4m3_g64", 64, 66, true},      // f16 scale + 64 E4M3
    {DType::kFp8E4M3G128, "fp8_e4m3_g128", 128, 130, true},  // f16 scale + 128 E4M3
    {DType::kFp8E4M3PerChannel, "fp8_e4m3_pc", 128, 132, true},  // f32 row scale + 128 E4M3
    {DType::kMxfp4G32, "mxfp4_g32", 32, 17, true},  // E8M0 scale + 16 bytes of E2M1 pairs
    {DType::kNvfp4G16, "nvfp4_g16", 16, 9, true},   // E4M3 scale + 8 bytes of E2M1 pairs
}};

}  // namespace

const DTypeInfo* FindDType(uint32_t id) {
  for (const DTypeInfo& info : kTypes)
    if (static_cast<uint32_t>(info.type) == id) return &info;
  return nullptr;
}

const DTypeInfo& GetDTypeInfo(DType type) {
  const DTypeInfo* info = FindDType(static_cast<uint32_t>(type));
  MIXQ_CHECK(info != nullptr);
  return *info;
}

std::optional<DType> ParseDType(const std::string& name) {
  for (const DTypeInfo& info : kTypes)
    if (strcasecmp(info.name, name.c_str()) == 0) return info.type;
  return std::nullopt;
}

std::optional<size_t> DTypeBytes(DType type, int64_t n_elements) {
  const DTypeInfo& info = GetDTypeInfo(type);
  if (n_elements < 0 || n_elements % info.block_size != 0) return std::nullopt;
  return static_cast<size_t>(n_elements / info.block_size) * info.block_bytes;
}

}  // namespace mixq
