// OCP 8-bit floating point E4M3 ("OCP 8-bit Floating Point Specification (OFP8)" v1.0) and the
// scaled FP8 weight formats built on it.
//
// E4M3 code: bit 7 sign, bits 6..3 exponent (bias 7), bits 2..0 mantissa.
//   exponent 0        subnormal  (-1)^s * m/8 * 2^-6      (smallest 2^-9)
//   exponent 1..15    normal     (-1)^s * (1 + m/8) * 2^(e-7)
//   S.1111.111        NaN (the only one; there is no infinity), so the largest finite value is
//                     S.1111.110 = 448.
// Conversion from float rounds to nearest, ties to even, and saturates to +-448 (the OFP8
// spec's saturating mode, which is what weight quantization wants).
//
// Weight formats (tensor/dtype.h; bpw and error bounds in docs/formats-research.md):
//   fp8_e4m3_g32/g64/g128  block = one group: f16 scale s, then `group` E4M3 codes.
//                          x_e = s * e4m3(c_e).  bpw = 8 + 16/group.
//   fp8_e4m3_pc            per-channel: one f32 scale per row. A row codec has a fixed block
//                          size, so the row is cut into 128-element blocks and every block
//                          repeats the row's scale: block = f32 s, then 128 E4M3 codes (8.25
//                          bpw stored; 8 + 32/cols of information). The scale is per
//                          quantize_row call, i.e. per row when called row by row.
// RTN scale rule: s = amax / 448 (f16 types: rounded up to f16, at least 2^-14 so tiny groups
// stay in E4M3's normal range), so no element saturates. With importance, a search over scales
// s * 2^(k/16), k = -4 .. 15 (one octave covers every position of the FP grid relative to the
// data) keeps the lowest weighted error.
#pragma once

#include <cstdint>

namespace mixq::research {

inline constexpr float kE4M3Max = 448.0f;
inline constexpr uint8_t kE4M3NaN = 0x7f;  // S.1111.111 (0xff is the negative-signed twin)

float E4M3ToFloat(uint8_t code);
uint8_t FloatToE4M3(float x);  // RNE, saturating to +-448; NaN -> 0x7f
inline float RoundToE4M3(float x) { return E4M3ToFloat(FloatToE4M3(x)); }

// Group formats: group is 32, 64 or 128; n a multiple of it.
void DequantizeFp8GroupRow(int group, const void* src, float* dst, int64_t n);
void QuantizeFp8GroupRow(int group, const float* src, void* dst, int64_t n, const float* importance);

// Per-channel format: n a multiple of kFp8ChannelBlock.
inline constexpr int kFp8ChannelBlock = 128;
void DequantizeFp8ChannelRow(const void* src, float* dst, int64_t n);
void QuantizeFp8ChannelRow(const float* src, void* dst, int64_t n, const float* importance);

}  // namespace mixq::research
