// Matrix products per weight type x ISA.
//   BM_Gemv: decode (one token) through a 256 MiB matrix of 4096-element rows (far beyond the
//     last-level cache): reports the GB/s of weight bytes streamed (the packed copy's when the
//     type is packed, as models run it), to compare with `mixq bench --membw`.
//   BM_Gemm: prefill (512 tokens through a Qwen3-0.6B-shaped 3072x1024 matrix): GFLOP/s.
// Run: build/bench/matmul_bench --benchmark_filter=Gemv  (results are ratios within one run)
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/packed.h"
#include "mixq/quant/codec.h"

namespace mixq {
namespace {

struct Matrix {
  std::vector<uint8_t> bytes;
  std::unique_ptr<PackedMatrix> packed;
  WeightMatrix w;
  size_t streamed_bytes() const { return packed ? packed->data.size() : bytes.size(); }
};

// Only this many distinct rows are quantized (the quantizer is slow); the rest repeat them,
// which changes nothing for the kernels (every row is still read from memory).
constexpr int64_t kDistinctRows = 64;

Matrix MakeMatrix(DType type, int64_t rows, int64_t cols) {
  Matrix m;
  const size_t row_bytes = *DTypeBytes(type, cols);
  m.bytes.resize(row_bytes * rows);
  Rng rng(1);
  std::vector<float> row(static_cast<size_t>(cols));
  const QuantCodec* codec = FindQuantCodec(type);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = m.bytes.data() + r * row_bytes;
    if (r >= kDistinctRows) {
      std::memcpy(dst, m.bytes.data() + (r % kDistinctRows) * row_bytes, row_bytes);
      continue;
    }
    for (float& v : row) v = rng.Normal() * 0.02f;
    if (codec) {
      codec->quantize_row(row.data(), dst, cols, nullptr);
      continue;
    }
    for (int64_t c = 0; c < cols; ++c) {
      if (type == DType::kF32) std::memcpy(dst + 4 * c, &row[c], 4);
      const uint16_t h = type == DType::kF16 ? FloatToF16(row[c]) : FloatToBf16(row[c]);
      if (type != DType::kF32) std::memcpy(dst + 2 * c, &h, 2);
    }
  }
  m.w = {type, rows, cols, m.bytes.data(), row_bytes};
  return m;
}

void Run(benchmark::State& state, DType type, Isa isa, int threads, int64_t rows, int64_t cols, int64_t n) {
  if (!IsaSupported(isa)) {
    state.SkipWithError("ISA not supported");
    return;
  }
  if (!MatMulSupports(type) || !DTypeBytes(type, cols)) {
    state.SkipWithError("type not supported");
    return;
  }
  Matrix m = MakeMatrix(type, rows, cols);
  if (isa != Isa::kRef && PackedLayoutExists(type)) {  // as weights.cc prepares a model
    m.packed = PackMatrix(Context(), m.w);
    m.w.packed = m.packed.get();
  }
  std::vector<float> x(static_cast<size_t>(n * cols), 0.5f), y(static_cast<size_t>(n * rows));
  Context ctx;
  ctx.isa = isa;
  ctx.SetThreads(threads);
  for (auto _ : state) {
    MatMul(ctx, m.w, x.data(), n, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(m.streamed_bytes()), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void RegisterAll() {
  const std::vector<DType> types = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                                    DType::kQ4_K, DType::kQ6_K, DType::kQ2_K, DType::kQ3_K, DType::kQ5_K,
                                    DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kIQ4_NL};
  for (DType type : types)
    for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512})
      for (int threads : {1, 2}) {
        const std::string suffix = std::string(DTypeName(type)) + "/" + IsaName(isa) + "/t" + std::to_string(threads);
        const int64_t gemv_rows = (int64_t{256} << 20) / static_cast<int64_t>(*DTypeBytes(type, 4096)) / 16 * 16;
        benchmark::RegisterBenchmark(("BM_Gemv/" + suffix).c_str(), Run, type, isa, threads, gemv_rows, 4096, 1)
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        // SmolLM2-135M's ffn_up: short rows (576), as decode meets them. (K-quants need rows of
        // 256k elements: they report 'type not supported' here.)
        benchmark::RegisterBenchmark(("BM_GemvSmolLM2/" + suffix).c_str(), Run, type, isa, threads, 1536, 576, 1)
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(("BM_Gemm/" + suffix).c_str(), Run, type, isa, threads, 3072, 1024, 512)
            ->Unit(benchmark::kMillisecond)->UseRealTime();
      }
}

const int registered = (RegisterAll(), 0);

}  // namespace
}  // namespace mixq
