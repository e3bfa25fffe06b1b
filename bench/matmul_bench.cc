// Matrix products per weight type x ISA.
//   BM_Gemv: decode (one token) through a 256 MiB matrix of 4096-element rows (far beyond the
//     last-level cache): reports the GB/s of weight bytes streamed (the packed copy's when the
//     type is packed, as models run it), to compare with `mixq bench --membw`.
//   BM_GemvShare: the same GEMV alternated, iteration by iteration, with the read loop of
//     `mixq bench --membw` sweeping the very bytes the kernel streams (same threads and ISA, same
//     pages): reports both best rates over the same time window (the fastest pass of each, since
//     disturbances only add time) and share = kernel GB/s / probe GB/s,
//     the fraction of the achievable bandwidth the kernel reaches, and share_med, the median over
//     passes of (kernel rate / rate of the probe sweep just before it) (this machine's bandwidth
//     drifts by a third over minutes, and differs between allocations, so rates from separate
//     runs or buffers do not compare).
//   BM_GemvL2: decode through a matrix that fits L2 (512 x 1024): the compute ceiling, GB/s.
//   BM_Gemm: prefill (512 tokens through a Qwen3-0.6B-shaped 3072x1024 matrix): GFLOP/s.
// Run: build/bench/matmul_bench --benchmark_filter=Gemv  (results are ratios within one run)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/eval/membw.h"
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

bool Supported(benchmark::State& state, DType type, Isa isa, int64_t cols) {
  if (!IsaSupported(isa)) {
    state.SkipWithError("ISA not supported");
    return false;
  }
  if (!MatMulSupports(type) || !DTypeBytes(type, cols)) {
    state.SkipWithError("type not supported");
    return false;
  }
  return true;
}

Matrix PreparedMatrix(DType type, Isa isa, int64_t rows, int64_t cols) {
  Matrix m = MakeMatrix(type, rows, cols);
  if (isa != Isa::kRef && PackedLayoutExists(type)) {  // as weights.cc prepares a model
    m.packed = PackMatrix(Context(), m.w);
    m.w.packed = m.packed.get();
  }
  return m;
}

Context MakeContext(Isa isa, int threads) {
  Context ctx;
  ctx.isa = isa;
  ctx.SetThreads(threads);
  return ctx;
}

void Run(benchmark::State& state, DType type, Isa isa, int threads, int64_t rows, int64_t cols, int64_t n) {
  if (!Supported(state, type, isa, cols)) return;
  Matrix m = PreparedMatrix(type, isa, rows, cols);
  std::vector<float> x(static_cast<size_t>(n * cols), 0.5f), y(static_cast<size_t>(n * rows));
  const Context ctx = MakeContext(isa, threads);
  for (auto _ : state) {
    MatMul(ctx, m.w, x.data(), n, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(m.streamed_bytes()), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Manual time = the GEMV's; the probe's sweeps run between them, untimed by the framework.
void RunShare(benchmark::State& state, DType type, Isa isa, int threads, int64_t rows, int64_t cols) {
  if (!Supported(state, type, isa, cols)) return;
  Matrix m = PreparedMatrix(type, isa, rows, cols);
  std::vector<float> x(static_cast<size_t>(cols), 0.5f), y(static_cast<size_t>(rows));
  const Context ctx = MakeContext(isa, threads);
  const void* bytes = m.packed ? static_cast<const void*>(m.packed->data.data()) : m.bytes.data();
  const std::unique_ptr<eval::ReadProbe> probe = eval::ReadProbe::Over(ctx, bytes, static_cast<int64_t>(m.streamed_bytes()) / 64 * 64);
  // Disturbances on a shared machine only add time, so each side is rated by its fastest pass.
  // share_med pairs each GEMV with the probe sweep just before it (the same moment's bandwidth)
  // and takes the median of those ratios: it does not depend on both sides meeting one quiet
  // moment.
  double kernel_best = 1e300, probe_best = 1e300;
  std::vector<double> pair_shares;
  const double byte_ratio = static_cast<double>(m.streamed_bytes()) / static_cast<double>(probe->bytes());
  for (auto _ : state) {
    const double probe_s = probe->Sweep();
    probe_best = std::min(probe_best, probe_s);
    const auto t0 = std::chrono::steady_clock::now();
    MatMul(ctx, m.w, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    kernel_best = std::min(kernel_best, s);
    pair_shares.push_back(byte_ratio * probe_s / s);
    state.SetIterationTime(s);
  }
  const double kernel_rate = static_cast<double>(m.streamed_bytes()) / kernel_best;
  const double probe_rate = static_cast<double>(probe->bytes()) / probe_best;
  state.counters["GB/s"] = kernel_rate / 1e9;
  state.counters["probe_GB/s"] = probe_rate / 1e9;
  state.counters["share"] = kernel_rate / probe_rate;
  std::nth_element(pair_shares.begin(), pair_shares.begin() + pair_shares.size() / 2, pair_shares.end());
  state.counters["share_med"] = pair_shares[pair_shares.size() / 2];
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
        benchmark::RegisterBenchmark(("BM_GemvShare/" + suffix).c_str(), RunShare, type, isa, threads, gemv_rows, 4096)
            ->Unit(benchmark::kMicrosecond)->UseManualTime()->Iterations(100);
        // SmolLM2-135M's ffn_up: short rows (576), as decode meets them. (K-quants need rows of
        // 256k elements: they report 'type not supported' here.)
        benchmark::RegisterBenchmark(("BM_GemvSmolLM2/" + suffix).c_str(), Run, type, isa, threads, 1536, 576, 1)
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        // 512 rows of 1024 (at most 0.6 MB, inside L2): the kernel's compute ceiling for every
        // type, K-quants included.
        benchmark::RegisterBenchmark(("BM_GemvL2/" + suffix).c_str(), Run, type, isa, threads, 512, 1024, 1)
            ->Unit(benchmark::kMicrosecond)->UseRealTime();
        benchmark::RegisterBenchmark(("BM_Gemm/" + suffix).c_str(), Run, type, isa, threads, 3072, 1024, 512)
            ->Unit(benchmark::kMillisecond)->UseRealTime();
      }
}

const int registered = (RegisterAll(), 0);

}  // namespace
}  // namespace mixq
