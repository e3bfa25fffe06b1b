// Parameter search shared by the ggml-compatible quantizers: given a few values x{n} and
// non-negative weights w{n}, choose the scale (and offset) of a grid that minimises
// sum_i w_i * (x_i - grid(q_i))^2, with every q_i rounded to its nearest grid point.
//
// Plain round-to-nearest (RTN) passes w = 1; importance-weighted quantization passes the
// importance. The same searches also quantize the sub-block scales of the K-quants (there the
// "values" are the sub-block scales and the weights their sensitivities). Blocks have at most
// 256 elements; w == nullptr means unit weights.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace mixq::ggml {

// A symmetric grid: x ~ d * level(q). Either the integers lo..hi (lo <= 0 <= hi, not both 0),
// or a sorted codebook of up to 16 levels (IQ4_NL).
struct Grid {
  int lo = 0, hi = 0;               // integer grid when codebook == nullptr
  const int8_t* codebook = nullptr;  // sorted ascending
  int codebook_size = 0;

  static Grid Int(int lo, int hi) { return Grid{lo, hi, nullptr, 0}; }
  static Grid Codebook(const int8_t* values, int n) { return Grid{0, 0, values, n}; }

  int size() const { return codebook ? codebook_size : hi - lo + 1; }
  // The grid value of index q (0 .. size() - 1).
  float Level(int q) const { return codebook ? codebook[q] : static_cast<float>(lo + q); }
  // The index of the level nearest to t (ties to the lower level for codebooks, to even
  // for integers), clamped to the grid. Inline: the searches call it per element per candidate.
  int Nearest(float t) const {
    if (codebook == nullptr) return RoundHalfEven(std::clamp(t, static_cast<float>(lo), static_cast<float>(hi))) - lo;
    int index = 0;  // the number of midpoints between neighbouring levels below t
    for (int k = 0; k + 1 < codebook_size; ++k) index += t > 0.5f * static_cast<float>(codebook[k] + codebook[k + 1]);
    return index;
  }

  // Nearest integer to t, ties to even (as nearbyint in the default rounding mode), for
  // |t| < 2^22: adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits. Written
  // out because nearbyint is a library call on baseline x86-64.
  static int RoundHalfEven(float t) {
    const float shifted = t + 12582912.0f;
    int32_t bits;
    std::memcpy(&bits, &shifted, sizeof(bits));
    return (bits & 0x007fffff) - 0x00400000;
  }
};

// Chooses d for x ~ d * grid.Level(q) and writes q{n} (grid indices). Returns 0 (and the index
// of the level nearest 0 everywhere) when every x is 0. The result is a float: the caller
// stores it (rounded to f16, or quantized again) and re-rounds q against the stored value.
float SearchScale(const Grid& grid, const float* x, const float* w, int n, uint8_t* q);

// q{n} = the index of the level nearest to x / d (the level nearest 0 when d == 0): the final
// rounding against the scale as stored.
void RoundToGrid(const Grid& grid, float d, const float* x, int n, uint8_t* q);

// Chooses (s, b) for x ~ b + s * q, q in 0..qmax, and writes q{n}. With min_le_zero the offset
// is kept <= 0 (K-quants store -b as an unsigned min); otherwise b is free (Q4_1, Q5_1).
// s >= 0 always; s == 0 for a constant block (then b is that constant, or 0 if clamped).
void SearchScaleMin(int qmax, bool min_le_zero, const float* x, const float* w, int n, float* s, float* b,
                    uint8_t* q);

// sum_i w_i * (a_i - b_i)^2 (w == nullptr: unit weights); double accumulation.
double WeightedSquaredError(const float* a, const float* b, const float* w, int64_t n);

// Rounds to f16 and back, with the magnitude clamped to the largest finite f16 so a scale is
// never stored as Inf (and NaN becomes 0).
float RoundToF16(float v);
uint16_t ToF16Clamped(float v);

// Unit weights when importance is null, else importance itself, for one block of n elements
// starting at `offset`. A block whose importance is all zero gets unit weights (every choice
// is equally good for the weighted objective; unit weights then keep the plain error low).
const float* BlockWeights(const float* importance, int64_t offset, int n, float* scratch);

// Applies a block dequantizer along a row of n elements.
template <typename Block, int kBlockSize>
void DequantizeRowBlocks(void (*dequantize_block)(const Block*, float*), const Block* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kBlockSize; ++b) dequantize_block(&x[b], y + b * kBlockSize);
}

// Importance-weighted quantization keeps, block by block, whichever of the weighted search and
// plain RTN has the lower weighted error, so it is never worse than RTN on the objective it is
// asked to minimise. `quantize_block(x, w, block)` quantizes one block (w == nullptr: RTN);
// `dequantize_block(block, y)` is the type's dequantizer.
template <typename Block, int kBlockSize, typename QuantizeBlock, typename DequantizeBlock>
void QuantizeRowBlocks(const float* src, Block* dst, int64_t n, const float* importance, QuantizeBlock quantize_block,
                       DequantizeBlock dequantize_block) {
  float scratch[kBlockSize];
  for (int64_t b = 0; b < n / kBlockSize; ++b) {
    const float* x = src + b * kBlockSize;
    quantize_block(x, nullptr, &dst[b]);
    if (importance == nullptr) continue;
    const float* w = BlockWeights(importance, b * kBlockSize, kBlockSize, scratch);
    Block weighted;
    quantize_block(x, w, &weighted);
    float y_rtn[kBlockSize], y_weighted[kBlockSize];
    dequantize_block(&dst[b], y_rtn);
    dequantize_block(&weighted, y_weighted);
    const float* imp = importance + b * kBlockSize;
    if (WeightedSquaredError(x, y_weighted, imp, kBlockSize) < WeightedSquaredError(x, y_rtn, imp, kBlockSize))
      dst[b] = weighted;
  }
}

}  // namespace mixq::ggml
