// Row-interleaved ("packed") copies of quantized weight matrices for the SIMD integer
// kernels. The file layout keeps each row's blocks together, so a kernel working on several
// rows gathers scales and nibbles from scattered places and shuffles them into lanes. The
// packed layout stores 16 rows side by side so that one 512-bit VNNI dot product (dpbusd) gives
// 16 rows x 4 elements with no shuffling: int32 lane r belongs to row r.
//
// Layout (rows padded to a multiple of 16 with zero scales; k = cols, blocks = k / 32):
//   group g (rows 16g..16g+15), block b (columns 32b..32b+31) at data + (g * blocks + b) * block_bytes:
//     scales  16 x f16            (32 bytes)  the rows' block scales, row r at index r
//     planes  P x 64 bytes                    codes, byte 4r+i of plane j belongs to row r
//   Q4_0 (P = 4, 288 bytes, 4.5 bits per weight as in the file): plane j holds in its low
//     nibbles the unsigned codes (0..15, value code - 8) of elements 4j..4j+3 and in its high
//     nibbles those of elements 4(j+4)..4(j+4)+3.
//   Q8_0 (P = 8, 544 bytes, 8.5 bits per weight): plane j holds elements 4j..4j+3 as
//     unsigned bytes code + 128 (the AVX-512 dpbusd operand; AVX2 flips the bit back).
//   Q4_1, Q5_1: 16 x f16 mins follow the scales (the header is 64 bytes).
//   Q4_1, IQ4_NL: 4 nibble planes as Q4_0 (IQ4_NL's nibbles index its codebook).
//   Q5_0, Q5_1: 4 nibble planes (low 4 bits) and 1 bit plane (64 bytes): 8 little-endian
//     64-bit masks, bit 4r+i of mask k = the high bit (qh) of row r's element 4k+i, so that
//     mask k is directly the byte mask of group k's codes.
//   Every 32-element type keeps its file's bits per weight.
// Packing is exact: UnpackRow reproduces the file's blocks byte for byte.
//
// K-quants (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K) pack per 256-column super-block (unit_cols = 256):
//   group g, super-block s at data + (g * (k / 256) + s) * block_bytes:
//     d     16 x f32  the rows' super-block scales (f16 in the file, widened exactly)
//     dmin  16 x f32  the rows' super-block min scales (Q4_K, Q5_K, Q2_K only)
//     8 x { scales 32 bytes, code planes } for the 8 activation blocks j of the super-block:
//       Q4_K: 16 x u8 scale, then 16 x u8 min (6-bit values); 4 nibble planes as Q4_0.
//       Q6_K: 16 x i8 scale of elements 0..15, then 16 x i8 of elements 16..31; 4 nibble planes
//             (low 4 bits of code + 32) and 2 crumb planes (its bits 4..5).
//       Q5_K: as Q4_K, plus 1 bit plane (bit 4 of the code).
//       Q3_K: 16 x i8 scale (stored value - 32) of elements 0..15, then of 16..31; 2 crumb planes
//             (low 2 bits of code + 4) and 1 bit plane (its bit 2).
//       Q2_K: 16 x the file's scale byte (scale | min << 4) of elements 0..15, then of 16..31;
//             2 crumb planes.
//     A crumb plane p holds in bits 2k..2k+1 of byte 4r+i the code of element 4(p + 2k) + i;
//     a bit plane is 8 masks as for Q5_0 (bit 4r+i of mask k: the high bit of element 4k + i).
//   The effective scales d * scale and dmin * min are formed in f32 in the kernel, exactly as
//   the scalar specification forms them (an f16 value times a small integer is exact).
//   Bits per weight: Q4_K 4.75 (file 4.5), Q5_K 5.75 (5.5), Q6_K 6.625 (6.5625), Q3_K 3.625
//   (3.4375), Q2_K 2.75 (2.625).
#pragma once

#include <cstdint>
#include <memory>

#include "mixq/base/context.h"
#include "mixq/kernels/quant_act.h"
#include "mixq/tensor/buffer.h"
#include "mixq/tensor/dtype.h"

namespace mixq {

struct WeightMatrix;

struct PackedMatrix {
  static constexpr int64_t kRowsPerGroup = 16;
  DType type = DType::kQ4_0;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t groups = 0;       // ceil(rows / 16)
  int64_t unit_cols = 32;   // columns per tile: 32, or 256 for the K-quants
  size_t block_bytes = 0;   // bytes of one (group, unit) tile: 288 (Q4_0), 544 (Q8_0), ...
  AlignedArray<uint8_t> data;

  const uint8_t* tile(int64_t group, int64_t unit) const {
    return data.data() + static_cast<size_t>(group * (cols / unit_cols) + unit) * block_bytes;
  }
};

// True for the types with a packed layout: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL and the
// K-quants Q2_K..Q6_K.
bool PackedLayoutExists(DType type);

// The packed copy of w (a type PackedLayoutExists accepts), packing row groups in parallel.
std::unique_ptr<PackedMatrix> PackMatrix(const Context& ctx, const WeightMatrix& w);

// Row r of a packed 32-element-block matrix (not a K-quant) in the file's block layout (the
// inverse of packing; tests).
void UnpackRow(const PackedMatrix& m, int64_t r, uint8_t* out);

namespace kernels {

// Packs the K-quant types (packed_kquant.cc).
bool IsPackedKQuant(DType type);
void PackKQuantMatrix(const Context& ctx, const WeightMatrix& w, PackedMatrix* out);

// y[t * m.rows + r] for r in [r0, r1) and t < xq.n, r0 a multiple of 16. False when this ISA
// has no packed kernel (then the caller runs the file layout). Same block sums, in the same
// order, as the scalar specification QuantRowsRef, so results differ from it only by the order
// of float additions.
bool PackedRowsAvx512(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool PackedRowsAvx2(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
// The K-quant part of PackedRowsAvx2 (packed_kquant_avx2.cc).
bool PackedKQuantRowsAvx2(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);

}  // namespace kernels
}  // namespace mixq
