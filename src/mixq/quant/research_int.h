// Group-wise integer formats as the quantization literature uses them ("W4 g128", "W2 g64
// asym"): b-bit codes (b = 2, 3, 4, 5, 6, 8) in groups of 32, 64 or 128 consecutive elements
// of a row, each group with its own f16 scale (and, asymmetric, its own f16 offset).
//
// Block = one group, little-endian:
//   f16 d                 scale
//   f16 m                 offset, asymmetric types only
//   u8  codes[group*b/8]  code u_e (0 .. 2^b - 1) of element e occupies bits e*b .. e*b+b-1 of
//                         the little-endian bit stream (stream bit k = bit k%8 of byte k/8)
// Values:
//   symmetric   x_e = d * (u_e - 2^(b-1))   levels -2^(b-1) .. 2^(b-1)-1, zero exact
//   asymmetric  x_e = d * u_e + m           (m is the value of code 0: an f16 "zero point"
//                                            stored as the offset, as HQQ and Q4_1 do)
// bpw = b + 16/group (symmetric) or b + 32/group (asymmetric). Type ids and names: tensor/dtype.h
// (IntGroupDType), docs/formats-research.md.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "mixq/tensor/dtype.h"

namespace mixq::research {

struct IntGroupFormat {
  int bits = 4;      // 2, 3, 4, 5, 6 or 8
  int group = 128;   // 32, 64 or 128 elements per block
  bool asym = false;

  int max_code() const { return (1 << bits) - 1; }  // codes are 0 .. max_code()
  int zero_code() const { return 1 << (bits - 1); }  // symmetric: the code of 0.0
  int header_bytes() const { return asym ? 4 : 2; }
  int block_bytes() const { return header_bytes() + group * bits / 8; }
  DType type() const { return IntGroupDType(bits, group, asym); }
};

// The format of a group-wise integer type; nullopt for every other type.
std::optional<IntGroupFormat> IntGroupFormatOf(DType type);
// All 36 formats, bits-major then group then symmetric before asymmetric (the dtype table order).
std::vector<IntGroupFormat> AllIntGroupFormats();

// Dense little-endian bit packing of n codes of `bits` bits each (n a multiple of 8, so every
// 8 codes fill exactly `bits` bytes): n*bits/8 bytes at `packed`.
void PackCodes(const uint8_t* codes, int64_t n, int bits, uint8_t* packed);
void UnpackCodes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes);

// Row codec (codec.h semantics): n a multiple of f.group.
//  - importance == nullptr: round-to-nearest with the literature's scale rule:
//      symmetric  d = 2*max|x| / (2^b - 1), rounded up to f16
//      asymmetric m = min(x) rounded down to f16, d = (max(x) - m) / (2^b - 1) rounded up,
//    so every element of the group is within d/2 of its dequantized value.
//  - otherwise a search over candidate scales (and offsets), each refitted by weighted least
//    squares and re-rounded to f16, minimising sum importance * (x - deq)^2 per group.
void DequantizeIntGroupRow(const IntGroupFormat& f, const void* src, float* dst, int64_t n);
void QuantizeIntGroupRow(const IntGroupFormat& f, const float* src, void* dst, int64_t n, const float* importance);

}  // namespace mixq::research
