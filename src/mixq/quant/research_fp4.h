// 4-bit floating-point weight formats: OCP Microscaling MXFP4 ("OCP Microscaling Formats (MX)
// Specification" v1.0) and NVIDIA's NVFP4. Both store E2M1 elements:
//
// E2M1 code (4 bits): bit 3 sign, bits 2..1 exponent (bias 1), bit 0 mantissa; no Inf/NaN.
//   codes 0..7 = 0, 0.5, 1, 1.5, 2, 3, 4, 6 (codes 8..15 the same, negative).
//   Conversion from float rounds to nearest, ties to even, saturating to +-6.
// E8M0 scale (MX): one unsigned byte X, value 2^(X - 127); 0xff is NaN.
//
// Element pairs are packed little-endian: byte j holds element 2j in bits 0..3 and element
// 2j+1 in bits 4..7 (note: ggml's MXFP4 stores elements j and j+16 in byte j instead).
//
// mxfp4_g32  block = u8 E8M0 scale, then 16 bytes of E2M1 pairs: 17 bytes / 32 = 4.25 bpw.
//            x_e = 2^(X-127) * e2m1(c_e).
//            Spec scale rule (RTN): X - 127 = floor(log2(amax)) - 2 (2 = E2M1's largest
//            exponent), clamped to [-127, 127]; elements saturate, so a block whose amax
//            mantissa exceeds 1.5 loses its largest values to 6 * 2^(X-127).
//            Search (with importance): exponents spec-1, spec, spec+1 (spec+1 never saturates).
// nvfp4_g16  block = u8 E4M3 scale s, then 8 bytes of E2M1 pairs: 9 bytes / 16 = 4.5 bpw.
//            x_e = t * e4m3(s) * e2m1(c_e), with t the per-tensor f32 scale.
//            Rule (RTN): s = e4m3(amax_block / (6 t)) rounded to nearest (at least the smallest
//            subnormal 2^-9 when amax > 0), elements saturating at +-6.
//            Search (with importance): the E4M3 scale codes within 4 of the rule's.
//            Per-tensor scale: a row codec cannot carry it, so the `nvfp4_g16` codec is NVFP4
//            with t = 1 ("folded"): block scales then cover amax_block in [6 * 2^-9, 6 * 448]
//            and lose precision (E4M3 subnormals) below amax_block = 6 * 2^-6 = 0.094. True
//            two-level NVFP4 uses the *Scaled functions with t = Nvfp4TensorScale(tensor)
//            = amax_tensor / (6 * 448); a file stores t beside the tensor as a 1-element f32
//            tensor "<name>.scale2" and a kernel multiplies its output by t
//            (docs/formats-research.md).
#pragma once

#include <cstdint>

namespace mixq::research {

float E2M1ToFloat(uint8_t code);  // low 4 bits
uint8_t FloatToE2M1(float x);      // RNE, saturating to +-6; NaN -> +0
float E8M0ToFloat(uint8_t code);   // 2^(code - 127); NaN for 0xff

inline constexpr int kMxfp4Block = 32;
inline constexpr int kMxfp4BlockBytes = 17;
inline constexpr int kNvfp4Block = 16;
inline constexpr int kNvfp4BlockBytes = 9;

// The spec's shared exponent for a block of largest magnitude amax (0 -> -127).
int MxSharedExponent(float amax);

// Row codecs (codec.h semantics): n a multiple of the block size.
void DequantizeMxfp4Row(const void* src, float* dst, int64_t n);
void QuantizeMxfp4Row(const float* src, void* dst, int64_t n, const float* importance);
void DequantizeNvfp4Row(const void* src, float* dst, int64_t n);  // t = 1
void QuantizeNvfp4Row(const float* src, void* dst, int64_t n, const float* importance);

// Two-level NVFP4: the per-tensor scale t of a whole tensor x{n} (1 when it is all zero), and
// the row codecs with t applied.
float Nvfp4TensorScale(const float* x, int64_t n);
void DequantizeNvfp4RowScaled(const void* src, float* dst, int64_t n, float tensor_scale);
void QuantizeNvfp4RowScaled(const float* src, void* dst, int64_t n, float tensor_scale, const float* importance);

}  // namespace mixq::research
