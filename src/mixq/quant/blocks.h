// Block structs of the ggml-compatible quantized types, byte for byte as ggml lays them out
// (ggml-common.h; the GGUF format stores tensors as arrays of these blocks), so GGUF files
// written by llama.cpp load in mixq and mixq's load in llama.cpp.
//
// Conventions in the comments below:
//   - "element e" is the e-th value of the block, in row order (0 .. block_size - 1).
//   - f16 fields are IEEE binary16 bit patterns (base/half.h converts them).
//   - Multi-byte fields are little-endian (GGUF is little-endian; so is every host mixq targets).
//   - bpw = 8 * sizeof(block) / block_size.
// The dequantization formula of each type is its specification; the codecs (ggml_*.cc)
// reproduce ggml's float arithmetic order exactly, so the same bytes give the same floats.
// docs/formats.md has the same layouts as tables.
#pragma once

#include <cstdint>

namespace mixq {

inline constexpr int kQK = 32;    // elements per block of the legacy types and IQ4_NL
inline constexpr int kQK_K = 256;  // elements per super-block of the K-quants

// ---------------------------------------------------------------- legacy 32-element blocks

// Q4_0: 4.5 bpw. x[e] = (q[e] - 8) * d, q in 0..15.
//   qs[j] (j = 0..15): low nibble = q[j], high nibble = q[j + 16].
struct BlockQ4_0 {
  uint16_t d;         // f16 scale
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "q4_0 block_bytes (tensor/dtype.cc)");

// Q4_1: 5.0 bpw. x[e] = q[e] * d + m, q in 0..15; nibbles as Q4_0.
struct BlockQ4_1 {
  uint16_t d;  // f16 scale
  uint16_t m;  // f16 offset (the block minimum; may be positive)
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ4_1) == 20, "q4_1 block_bytes (tensor/dtype.cc)");

// Q5_0: 5.5 bpw. x[e] = (q[e] - 16) * d, q in 0..31.
//   low 4 bits of q[e]: nibbles of qs as Q4_0 (qs[j]: low = e j, high = e j + 16);
//   bit 4 of q[e]: bit e of the little-endian uint32 in qh (qh[e / 8] bit e % 8).
struct BlockQ5_0 {
  uint16_t d;  // f16 scale
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "q5_0 block_bytes (tensor/dtype.cc)");

// Q5_1: 6.0 bpw. x[e] = q[e] * d + m, q in 0..31; qh and qs as Q5_0.
struct BlockQ5_1 {
  uint16_t d;  // f16 scale
  uint16_t m;  // f16 offset
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockQ5_1) == 24, "q5_1 block_bytes (tensor/dtype.cc)");

// Q8_0: 8.5 bpw. x[e] = qs[e] * d. mixq's quantizer emits qs in -127..127 (SIMD kernels may
// negate them); -128 is valid input.
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8_0) == 34, "q8_0 block_bytes (tensor/dtype.cc)");

// IQ4_NL: 4.5 bpw. x[e] = d * kIq4nlValues[q[e]]; nibbles as Q4_0. The 16-entry non-linear
// codebook is part of the format (ggml's kvalues_iq4nl): denser near zero, where most weights are.
struct BlockIQ4_NL {
  uint16_t d;  // f16 scale
  uint8_t qs[kQK / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 18, "iq4_nl block_bytes (tensor/dtype.cc)");
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// The nibble and high-bit packing shared by the 32-element types: q{32} in, bytes out.
inline void PackNibbles32(const uint8_t* q, uint8_t* qs) {
  for (int j = 0; j < kQK / 2; ++j) qs[j] = static_cast<uint8_t>((q[j] & 0xF) | (q[j + kQK / 2] & 0xF) << 4);
}
inline void UnpackNibbles32(const uint8_t* qs, uint8_t* q) {
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = qs[j] & 0xF;
    q[j + kQK / 2] = qs[j] >> 4;
  }
}
// Bit 4 of each q[e] into bit e of qh (Q5_0 / Q5_1), and back (adding 16 where set).
inline void PackHighBits32(const uint8_t* q, uint8_t* qh) {
  for (int i = 0; i < 4; ++i) qh[i] = 0;
  for (int e = 0; e < kQK; ++e) qh[e / 8] |= static_cast<uint8_t>(((q[e] >> 4) & 1) << (e % 8));
}
inline void AddHighBits32(const uint8_t* qh, uint8_t* q) {
  for (int e = 0; e < kQK; ++e) q[e] |= static_cast<uint8_t>(((qh[e / 8] >> (e % 8)) & 1) << 4);
}

// ---------------------------------------------------------------- K-quants: 256-element super-blocks
//
// Element e of a super-block lives in "quarter" e / 32 of its 128-element half h = e / 128:
// with l = e % 32 and j = (e % 128) / 32, the 2-bit types (Q2_K, Q3_K low bits) keep element e
// in bits 2j..2j+1 of qs[32 h + l]. The 4-bit types (Q4_K, Q5_K low bits) keep elements
// 64c + l (low nibble) and 64c + 32 + l (high nibble) in qs[32 c + l], c = e / 64.

// Q2_K: 2.625 bpw. 16 sub-blocks of 16 elements; s = e / 16 is the sub-block.
//   x[e] = (d * (scales[s] & 0xF)) * q[e] - dmin * (scales[s] >> 4), q in 0..3;
//   scales[s]: low nibble = 4-bit scale, high nibble = 4-bit min;
//   q[e] = bits 2j..2j+1 of qs[32 h + l] (h = e / 128, j = (e % 128) / 32, l = e % 32).
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;     // f16 super-block scale of the 4-bit scales
  uint16_t dmin;  // f16 super-block scale of the 4-bit mins
};
static_assert(sizeof(BlockQ2_K) == 84, "q2_K block_bytes (tensor/dtype.cc)");

// Q3_K: 3.4375 bpw. 16 sub-blocks of 16 elements; s = e / 16.
//   x[e] = (d * (sc[s] - 32)) * (q2[e] - (hbit[e] ? 0 : 4)), so x/scale is in -4..3;
//   q2[e] = bits 2j..2j+1 of qs[32 h + l] (as Q2_K);
//   hbit[e] = bit (4 h + j) of hmask[l] (one mask byte per position l, eight bits across the
//     eight 32-element quarters of the super-block); a set bit means "no -4";
//   sc[s] (6 bits, stored with +32 bias): low 4 bits = nibble (s / 8) of scales[s % 8]
//     (s < 8: low nibble, else high nibble); high 2 bits = bits 2 (s / 4)..2 (s / 4) + 1 of
//     scales[8 + s % 4].
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;  // f16 super-block scale
};
static_assert(sizeof(BlockQ3_K) == 110, "q3_K block_bytes (tensor/dtype.cc)");

// The 12-byte 6-bit scale + 6-bit min packing of Q4_K and Q5_K (8 sub-blocks, j = 0..7):
//   j < 4:  sc[j] = scales[j] & 63,                         m[j] = scales[j + 4] & 63
//   j >= 4: sc[j] = (scales[j + 4] & 0xF) | (scales[j - 4] >> 6) << 4,
//           m[j]  = (scales[j + 4] >> 4)  | (scales[j] >> 6) << 4
// i.e. bytes 0..3 hold sc[0..3] and bytes 4..7 hold m[0..3] in their low 6 bits, with the top
// two bits of sc[4..7] / m[4..7] above them; bytes 8..11 hold the low nibbles of sc[4..7]
// (low) and m[4..7] (high).
inline void UnpackScaleMinK4(const uint8_t* scales, int j, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((scales[j + 4] & 0xF) | (scales[j - 4] >> 6) << 4);
    *m = static_cast<uint8_t>((scales[j + 4] >> 4) | (scales[j] >> 6) << 4);
  }
}
// Inverse of UnpackScaleMinK4 for 8 pairs of values in 0..63.
inline void PackScaleMinK4(const uint8_t sc[8], const uint8_t m[8], uint8_t scales[12]) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>((sc[j] & 63) | (sc[j + 4] >> 4) << 6);
    scales[j + 4] = static_cast<uint8_t>((m[j] & 63) | (m[j + 4] >> 4) << 6);
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4);
  }
}

// Q3_K's 16 6-bit scales (stored values 0..63, i.e. before the -32 bias), layout above.
inline uint8_t UnpackScaleQ3_K(const uint8_t* scales, int s) {
  const int low = (scales[s % 8] >> (4 * (s / 8))) & 0xF;
  const int high = (scales[8 + s % 4] >> (2 * (s / 4))) & 3;
  return static_cast<uint8_t>(low | high << 4);
}
inline void PackScalesQ3_K(const uint8_t sc[16], uint8_t scales[12]) {
  for (int i = 0; i < 12; ++i) scales[i] = 0;
  for (int s = 0; s < 16; ++s) {
    scales[s % 8] |= static_cast<uint8_t>((sc[s] & 0xF) << (4 * (s / 8)));
    scales[8 + s % 4] |= static_cast<uint8_t>(((sc[s] >> 4) & 3) << (2 * (s / 4)));
  }
}

// Q4_K: 4.5 bpw. 8 sub-blocks of 32 elements; s = e / 32.
//   x[e] = (d * sc[s]) * q[e] - dmin * m[s], q in 0..15; sc, m: 6-bit (packing above);
//   q[e]: qs[32 c + l], low nibble for e = 64 c + l, high nibble for e = 64 c + 32 + l.
struct BlockQ4_K {
  uint16_t d;     // f16 super-block scale of the 6-bit scales
  uint16_t dmin;  // f16 super-block scale of the 6-bit mins
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "q4_K block_bytes (tensor/dtype.cc)");

// Q5_K: 5.5 bpw. As Q4_K with q in 0..31: the low 4 bits as Q4_K's nibbles, bit 4 of q[e] =
// bit s of qh[l] (s = e / 32, l = e % 32).
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "q5_K block_bytes (tensor/dtype.cc)");

// Q6_K: 6.5625 bpw. 16 sub-blocks of 16 elements; s = e / 16.
//   x[e] = (d * scales[s]) * (q[e] - 32), q in 0..63, scales signed 8-bit;
//   with h = e / 128, k = (e % 128) / 32, l = e % 32:
//   low 4 bits of q[e]: ql[64 h + 32 (k % 2) + l], low nibble for k < 2, high nibble for k >= 2;
//   high 2 bits of q[e]: bits 2k..2k+1 of qh[32 h + l].
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;  // f16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 210, "q6_K block_bytes (tensor/dtype.cc)");

// Q8_K: 9.125 bpw; the activation format K-quant dot products pair with (never stored in
// GGUF files). x[e] = d * qs[e], d an f32; bsums[g] = sum of qs[16 g .. 16 g + 15], which lets
// a dot product with a Q2_K/Q4_K/Q5_K block apply the mins once per 16 elements.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 292, "q8_K block_bytes (tensor/dtype.cc)");

// The stored (unsigned) code of element l < 32 of 32-element sub-block j < 8 of a K-quant
// super-block, as the layouts above define it. Values: Q4_K d*sc*code - dmin*m (code 0..15),
// Q5_K likewise (0..31), Q6_K d*sc*(code - 32) (0..63), Q3_K d*sc*(code - 4) (0..7, bit 2 =
// the hmask bit), Q2_K d*sc*code - dmin*m (0..3); sc, m of the sub-block or its 16-half.
inline int CodeQ4_K(const BlockQ4_K& b, int j, int l) { return (b.qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF; }
inline int CodeQ5_K(const BlockQ5_K& b, int j, int l) {
  return ((b.qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF) | ((b.qh[l] >> j) & 1) << 4;
}
inline int CodeQ6_K(const BlockQ6_K& b, int j, int l) {
  const int h = j / 4, k = j % 4;
  return ((b.ql[64 * h + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xF) | ((b.qh[32 * h + l] >> (2 * k)) & 3) << 4;
}
inline int CodeQ3_K(const BlockQ3_K& b, int j, int l) {
  return ((b.qs[32 * (j / 4) + l] >> (2 * (j % 4))) & 3) | ((b.hmask[l] >> j) & 1) << 2;
}
inline int CodeQ2_K(const BlockQ2_K& b, int j, int l) { return (b.qs[32 * (j / 4) + l] >> (2 * (j % 4))) & 3; }

}  // namespace mixq
