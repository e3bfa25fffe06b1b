// Activations quantized to 8 bits for integer dot products with quantized weights.
// Layout (planar, one row per token, k = row length, a multiple of 32):
//   qs    (n, k)        int8 codes, x ~= d[b] * qs
//   d     (n, k/32)     f32 scale of each 32-element block: max|x| / 127
//   sum16 (n, k/16)     sum of the codes of each 16-element group (K-quant mins)
//   bias  (n, k/32, 8)  -offset * (sum of codes 4i..4i+3) for lane i of each block, where
//                       offset is the weight type's zero point (Q4_0: 8, Q8_0: 0, ...). An
//                       integer dot of unsigned weight codes u = q + offset starting from this
//                       bias gives sum (u - offset) * x = sum q * x exactly, lane by lane, with
//                       no extra instruction (VNNI dpbusd accumulates onto it).
//   block_bias (n, k/32) -offset * (sum of the block's codes): the same for a whole block, as
//                       the packed kernels (packed.h) need it, one lane per weight row.
//   bias16 (n, k/16)    -offset * sum16, and
//   xsum16 (n, k/16)    d[g / 2] * float(sum16[g]): the per-half terms of the packed K-quant
//                       kernels, computed once per token instead of once per row group.
// Rounding: q = trunc(x / d + 0.5 * sign(x)) in f32 (round half away from zero, computed the
// same way on every ISA). The buffers are reused across calls (grown, never zero-filled).
#pragma once

#include <cstdint>
#include <vector>

#include "mixq/base/context.h"

namespace mixq {

struct QuantizedActivations {
  int64_t n = 0;
  int64_t k = 0;
  int32_t offset = 0;
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int32_t> sum16;
  std::vector<int32_t> bias;
  std::vector<int32_t> block_bias;
  std::vector<int32_t> bias16;
  std::vector<float> xsum16;
  // Capacity management: vectors only grow, so repeated calls allocate nothing.

  const int8_t* row_qs(int64_t t) const { return qs.data() + t * k; }
  const float* row_d(int64_t t) const { return d.data() + t * (k / 32); }
  const int32_t* row_sum16(int64_t t) const { return sum16.data() + t * (k / 16); }
  const int32_t* row_bias(int64_t t) const { return bias.data() + t * (k / 32) * 8; }
  const int32_t* row_block_bias(int64_t t) const { return block_bias.data() + t * (k / 32); }
  const int32_t* row_bias16(int64_t t) const { return bias16.data() + t * (k / 16); }
  const float* row_xsum16(int64_t t) const { return xsum16.data() + t * (k / 16); }
};

// One token's outputs (the arrays above, at that token's row).
struct ActivationRow {
  int8_t* qs;
  float* d;
  int32_t* sum16;
  int32_t* bias;
  int32_t* block_bias;
  int32_t* bias16;
  float* xsum16;
};

// One token's row x{k}. The AVX-512 version writes the same bytes as the scalar one (the same
// f32 operations).
void QuantizeActivationRowRef(const float* x, int64_t k, int32_t offset, const ActivationRow& out);
void QuantizeActivationRowAvx512(const float* x, int64_t k, int32_t offset, const ActivationRow& out);
// The bias16 and xsum16 of a row whose other arrays are written (shared by both versions).
void QuantizeActivationHalfTerms(int64_t k, int32_t offset, const ActivationRow& out);

// Quantizes x{n, k} (k % 32 == 0) for a weight type whose codes carry `offset`.
void QuantizeActivations(const Context& ctx, const float* x, int64_t n, int64_t k, int32_t offset,
                         QuantizedActivations* out);

}  // namespace mixq
