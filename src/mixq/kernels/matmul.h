// Matrix products of stored weights with f32 activations: the hot loop of both prefill and
// decode. y{n, rows} = x{n, cols} · W{rows, cols}^T (each output is the dot product of a
// weight row with a token's activation row), W in f32, f16 or bf16 (quantized types come
// with the quantized-kernels work). Every ISA computes each output in one fixed order, so a
// token's result does not depend on how many tokens share the call or on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "mixq/base/context.h"
#include "mixq/tensor/dtype.h"
#include "mixq/tensor/tensor.h"

namespace mixq {

struct PackedMatrix;

// A weight matrix as the kernels see it: `rows` rows of `cols` elements, row r starting at
// data + r * row_bytes.
struct WeightMatrix {
  DType type = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;
  size_t row_bytes = 0;
  const std::string* name = nullptr;  // canonical tensor name (owned by the TensorSet), for observers
  // Row-interleaved copy of the same weights (packed.h), owned by whoever packed it; the SIMD
  // kernels use it when present, the scalar specification always reads `data`.
  const PackedMatrix* packed = nullptr;

  static WeightMatrix FromTensor(const Tensor& t);  // a 2-D tensor {rows, cols}
};

bool MatMulSupports(DType type);

// y[t * rows + r] = sum_c W[r, c] * x[t * cols + c] for t < n, r < rows.
// Multithreaded over rows of W (ctx.n_threads), kernel chosen by ctx.isa.
void MatMul(const Context& ctx, const WeightMatrix& w, const float* x, int64_t n, float* y);

// Several products of the same activations, ys[i]{n, ws[i]->rows} = x{n, cols} · W_i^T (all
// W_i with the same cols), in one parallel region: activations are quantized once when the
// types share a quantized kernel, and the threads meet once instead of once per matrix
// (Q, K and V; gate and up). Each output is computed exactly as MatMul computes it.
void MatMulShared(const Context& ctx, std::span<const WeightMatrix* const> ws, const float* x, int64_t n,
                  std::span<float* const> ys);

// The same for a row range only, single-threaded (callers that parallelise themselves).
void MatMulRows(Isa isa, const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t row_begin,
                int64_t row_end);

// Prefill kernels walk the tokens in blocks of this many (tile_walk.h): each block's
// activations stay in L1/L2 while the whole weight matrix streams past them once per block.
inline constexpr int64_t kMatMulTokenBlock = 32;

// Dot product of two f32 vectors of length n, in the ISA's fixed order.
float DotF32(Isa isa, const float* a, const float* b, int64_t n);
// y[i] += a * x[i]
void AxpyF32(Isa isa, float a, const float* x, float* y, int64_t n);
// XOR of n 64-bit words: reads every byte once with the ISA's widest loads (the memory
// bandwidth probe's read loop; the result keeps the reads from being optimised away). Any
// bytes are valid input, so it can read a weight matrix's own memory.
uint64_t XorWords(Isa isa, const uint64_t* p, int64_t n);
// gate[i] = silu(gate[i]) * up[i] = g / (1 + exp(-g)) * up[i], i < n (the SwiGLU activation).
// The SIMD kernels replace libm's expf with a polynomial (silu_simd.h) and agree with the
// scalar specification within 9.5 * 2^-24 relative; infinities, NaNs and zeros come out as
// the specification's. Each output depends only on its own inputs (not on n or position).
void SiluMulF32(Isa isa, float* gate, const float* up, int64_t n);

// Row r of W converted to f32 (embedding lookups). out: {cols}.
void DequantizeRow(const WeightMatrix& w, int64_t row, float* out);

}  // namespace mixq
