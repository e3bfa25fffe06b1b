#include "mixq/kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/parallel.h"
#include "mixq/base/status.h"
#include "mixq/kernels/kernel_table.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/codec.h"

namespace mixq {
namespace kernels {

const KernelTable& KernelsFor(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return Avx512Kernels();
    case Isa::kAvx2: return Avx2Kernels();
    case Isa::kRef: break;
  }
  return RefKernels();
}

}  // namespace kernels

WeightMatrix WeightMatrix::FromTensor(const Tensor& t) {
  WeightMatrix w;
  w.type = t.dtype;
  w.rows = t.rows();
  w.cols = t.cols();
  w.data = t.data;
  w.row_bytes = w.rows > 0 ? t.nbytes / static_cast<size_t>(w.rows) : 0;
  w.name = &t.name;
  return w;
}

bool MatMulSupports(DType type) {
  return type == DType::kF32 || type == DType::kF16 || type == DType::kBF16 || FindQuantCodec(type) != nullptr;
}

namespace {

// Any type with a codec: dequantize each row once (reference codec), then the ISA's f32 dot
// for every token. This is the reference semantics of a quantized matmul; types with a SIMD
// kernel take the fast path in the ISA's table instead.
void MatMulRowsViaCodec(Isa isa, const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t r0, int64_t r1) {
  const QuantCodec* codec = FindQuantCodec(w.type);
  MIXQ_CHECK(codec != nullptr);
  std::vector<float> row(static_cast<size_t>(w.cols));
  const kernels::KernelTable& table = kernels::KernelsFor(isa);
  for (int64_t r = r0; r < r1; ++r) {
    codec->dequantize_row(static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_bytes, row.data(), w.cols);
    for (int64_t t = 0; t < n; ++t) y[t * w.rows + r] = table.dot_f32(row.data(), x + t * w.cols, w.cols);
  }
}

}  // namespace

namespace {

// The integer-dot kernel of the requested ISA, else the next one down (an AVX-512 CPU without
// VNNI uses the AVX2 kernels), else the scalar specification.
void QuantRows(Isa isa, const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (isa == Isa::kAvx512 &&
      (kernels::QuantRowsAvx512(w, xq, y, r0, r1) || kernels::QuantRowsKQuantAvx512(w, xq, y, r0, r1)))
    return;
  if (isa != Isa::kRef && IsaSupported(Isa::kAvx2) &&
      (kernels::QuantRowsAvx2(w, xq, y, r0, r1) || kernels::QuantRowsKQuantAvx2(w, xq, y, r0, r1)))
    return;
  const bool ok = kernels::QuantRowsRef(w, xq, y, r0, r1);
  MIXQ_CHECK(ok);
}

}  // namespace

void MatMulRows(Isa isa, const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t row_begin,
                int64_t row_end) {
  if (const std::optional<int32_t> offset = kernels::QuantKernelOffset(w.type)) {
    QuantizedActivations xq;
    QuantizeActivations(Context(), x, n, w.cols, *offset, &xq);
    QuantRows(isa, w, xq, y, row_begin, row_end);
    return;
  }
  if (kernels::KernelsFor(isa).matmul_rows(w, x, n, y, row_begin, row_end)) return;
  MatMulRowsViaCodec(isa, w, x, n, y, row_begin, row_end);  // callers check MatMulSupports at load
}

namespace {

// The packed kernel of the requested ISA (AVX-512 falls back to AVX2), false if none runs.
bool PackedRows(Isa isa, const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  if (isa == Isa::kAvx512 && kernels::PackedRowsAvx512(m, xq, y, r0, r1)) return true;
  return isa != Isa::kRef && IsaSupported(Isa::kAvx2) && kernels::PackedRowsAvx2(m, xq, y, r0, r1);
}

// Rows [r0, r1) of one product; xq is x quantized for w's kernel, or null for float kernels.
void ProductRows(Isa isa, const WeightMatrix& w, const float* x, const QuantizedActivations* xq, int64_t n, float* y,
                 int64_t r0, int64_t r1) {
  if (xq == nullptr) return MatMulRows(isa, w, x, n, y, r0, r1);
  if (w.packed != nullptr && PackedRows(isa, *w.packed, *xq, y, r0, r1)) return;
  QuantRows(isa, w, *xq, y, r0, r1);
}

constexpr int64_t kRowGrain = 16;  // every thread runs whole 16-row tiles

}  // namespace

void MatMulShared(const Context& ctx, std::span<const WeightMatrix* const> ws, const float* x, int64_t n,
                  std::span<float* const> ys) {
  MIXQ_CHECK(ws.size() == ys.size() && !ws.empty());
  const std::optional<int32_t> offset = kernels::QuantKernelOffset(ws[0]->type);
  int64_t work = 0;
  for (const WeightMatrix* w : ws) {
    MIXQ_CHECK(w->cols == ws[0]->cols);
    if (kernels::QuantKernelOffset(w->type) != offset) {  // different activation codes: one at a time
      for (size_t i = 0; i < ws.size(); ++i) MatMulShared(ctx, ws.subspan(i, 1), x, n, ys.subspan(i, 1));
      return;
    }
    work += w->rows * w->cols * n;
  }
  // Small products stay on one thread (a parallel region costs more than it saves).
  Context local = ctx;
  if (work < (1 << 15)) local.n_threads = 1;
  // x{n, cols} as 8-bit codes, quantized once for all matrices. The buffers are per calling
  // thread and only grow: pure scratch (no result depends on what they held before), kept so
  // that a decode step's products allocate nothing.
  thread_local QuantizedActivations scratch;
  QuantizedActivations* xq = nullptr;
  if (offset) {
    xq = &scratch;  // bound here: a worker naming `scratch` gets its own
    QuantizeActivations(local, x, n, ws[0]->cols, *offset, xq);
  }
  // One row space: matrix i owns its rows rounded up to the grain, after those of matrices
  // 0..i-1, so every chunk boundary falls on a 16-row tile of each matrix. (Walked, not
  // stored: a decode step makes ~150 of these calls.)
  auto padded = [](const WeightMatrix* w) { return (w->rows + kRowGrain - 1) / kRowGrain * kRowGrain; };
  int64_t total = 0;
  for (const WeightMatrix* w : ws) total += padded(w);
  ParallelFor(local, total, kRowGrain, [&](int64_t a, int64_t b) {
    int64_t start = 0;
    for (size_t i = 0; i < ws.size() && start < b; start += padded(ws[i]), ++i) {
      const int64_t r0 = std::max(a, start) - start;
      const int64_t r1 = std::min(b, start + ws[i]->rows) - start;
      if (r0 < r1) ProductRows(ctx.isa, *ws[i], x, xq, n, ys[i], r0, r1);
    }
  });
}

void MatMul(const Context& ctx, const WeightMatrix& w, const float* x, int64_t n, float* y) {
  const WeightMatrix* ws[] = {&w};
  float* ys[] = {y};
  MatMulShared(ctx, ws, x, n, ys);
}

float DotF32(Isa isa, const float* a, const float* b, int64_t n) { return kernels::KernelsFor(isa).dot_f32(a, b, n); }
uint64_t XorWords(Isa isa, const uint64_t* p, int64_t n) { return kernels::KernelsFor(isa).xor_words(p, n); }
void SiluMulF32(Isa isa, float* gate, const float* up, int64_t n) { kernels::KernelsFor(isa).silu_mul_f32(gate, up, n); }

void AxpyF32(Isa isa, float a, const float* x, float* y, int64_t n) { kernels::KernelsFor(isa).axpy_f32(a, x, y, n); }

void DequantizeRow(const WeightMatrix& w, int64_t row, float* out) {
  const uint8_t* p = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(row) * w.row_bytes;
  switch (w.type) {
    case DType::kF32: {
      const float* f = reinterpret_cast<const float*>(p);
      for (int64_t c = 0; c < w.cols; ++c) out[c] = f[c];
      return;
    }
    case DType::kF16: {
      const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
      for (int64_t c = 0; c < w.cols; ++c) out[c] = F16ToFloat(h[c]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
      for (int64_t c = 0; c < w.cols; ++c) out[c] = Bf16ToFloat(h[c]);
      return;
    }
    default: {
      const QuantCodec* codec = FindQuantCodec(w.type);
      MIXQ_CHECK(codec != nullptr);
      codec->dequantize_row(p, out, w.cols);
    }
  }
}

}  // namespace mixq
