// Row-interleaved ("packed") copies of Q4_0 and Q8_0 weight matrices for the SIMD integer
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
// Packing is exact: UnpackRow reproduces the file's blocks byte for byte.
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
  size_t block_bytes = 0;   // bytes of one (group, block) tile: 288 (Q4_0) or 544 (Q8_0)
  AlignedArray<uint8_t> data;

  const uint8_t* tile(int64_t group, int64_t block) const {
    return data.data() + static_cast<size_t>(group * (cols / 32) + block) * block_bytes;
  }
};

// True for the types with a packed layout (Q4_0, Q8_0).
bool PackedLayoutExists(DType type);

// The packed copy of w (a type PackedLayoutExists accepts), packing row groups in parallel.
std::unique_ptr<PackedMatrix> PackMatrix(const Context& ctx, const WeightMatrix& w);

// Row r of the packed matrix in the file's block layout (the inverse of packing; tests).
void UnpackRow(const PackedMatrix& m, int64_t r, uint8_t* out);

namespace kernels {

// y[t * m.rows + r] for r in [r0, r1) and t < xq.n, r0 a multiple of 16. False when this ISA
// has no packed kernel (then the caller runs the file layout). Same block sums, in the same
// order, as the scalar specification QuantRowsRef, so results differ from it only by the order
// of float additions.
bool PackedRowsAvx512(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool PackedRowsAvx2(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);

}  // namespace kernels
}  // namespace mixq
