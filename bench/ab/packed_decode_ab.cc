// A/B driver for the AVX-512 packed decode kernels (not a CMake target: built by
// scripts/ab-packed-decode.sh, which compiles kernels/packed_avx512.cc of two revisions with
// their entry point renamed to PackedRowsA and PackedRowsB and links them here).
//
// Why: this machine's bandwidth moves by a factor of two within minutes, so two kernel versions
// run in separate processes or minutes apart do not compare. Here both versions and the read
// probe (the per-ISA XorWords loop of `mixq bench --membw`) stream the same 256 MiB packed
// matrix (4096-element rows by default; contents are random bytes: decode speed does not depend
// on them) in R rounds, each round running the three in a shuffled order; a version's share in a
// round is its GB/s over the probe's GB/s of that round, and the report gives the median over
// rounds (and the median GB/s).
//
// Usage: packed_decode_ab THREADS ROUNDS [COLS [TYPES]], TYPES a comma list (q4_0,q2_K,...).
// AB_KIB=N in the environment sizes the matrix N KiB instead of 256 MiB (a matrix that fits in
// L2 compares the kernels' arithmetic rather than their streaming); each timed pass then sweeps
// it often enough to read about 256 MiB.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/half.h"
#include "mixq/base/parallel.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/packed.h"
#include "mixq/kernels/quant_kernels.h"

namespace mixq::kernels {
bool PackedRowsA(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool PackedRowsB(const PackedMatrix& m, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
}  // namespace mixq::kernels

namespace {

using namespace mixq;

struct PackedType {
  DType type;
  size_t tile_bytes;  // one (16-row group, unit) tile, packed.h
  int64_t unit_cols;
  const char* name;
};

constexpr PackedType kTypes[] = {
    {DType::kQ4_0, 288, 32, "q4_0"},     {DType::kQ8_0, 544, 32, "q8_0"},     {DType::kQ4_1, 320, 32, "q4_1"},
    {DType::kQ5_0, 352, 32, "q5_0"},     {DType::kQ5_1, 384, 32, "q5_1"},     {DType::kIQ4_NL, 288, 32, "iq4_nl"},
    {DType::kQ2_K, 1408, 256, "q2_K"},   {DType::kQ3_K, 1856, 256, "q3_K"},   {DType::kQ4_K, 2432, 256, "q4_K"},
    {DType::kQ5_K, 2944, 256, "q5_K"},   {DType::kQ6_K, 3392, 256, "q6_K"},
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs f(group_begin, group_end) over all groups on the context's threads, chunked as models
// run their products (ParallelFor).
void Split(const Context& ctx, int64_t groups, const std::function<void(int64_t, int64_t)>& f) {
  ParallelFor(ctx, groups, 1, f);
}

void Compare(const PackedType& t, const Context& ctx, int rounds, int64_t cols, size_t kib, std::mt19937& rng) {
  PackedMatrix m;
  m.type = t.type;
  m.cols = cols;
  m.unit_cols = t.unit_cols;
  m.block_bytes = t.tile_bytes;
  const size_t group_bytes = static_cast<size_t>(cols / t.unit_cols) * t.tile_bytes;
  m.groups = std::max<int64_t>(1, static_cast<int64_t>((kib << 10) / group_bytes));
  const int sweeps = static_cast<int>(std::max<size_t>(1, (size_t{256} << 10) / kib));
  m.rows = m.groups * 16;
  m.data = AlignedArray<uint8_t>(static_cast<size_t>(m.groups) * group_bytes);
  uint16_t* halves = reinterpret_cast<uint16_t*>(m.data.data());  // small finite f16 scales anywhere
  for (size_t i = 0; i < m.data.size() / 2; ++i) halves[i] = FloatToF16(0.001f * static_cast<float>(rng() % 100));
  // K-quant tiles start with 32 f32 super-block scales (packed.h): pairs of the halves above
  // would make some of them subnormal, whose arithmetic is slow, so they get real values.
  if (t.unit_cols == 256)
    for (size_t tile = 0; tile < m.data.size() / t.tile_bytes; ++tile)
      for (int i = 0; i < 32; ++i) {
        const float v = 0.001f * static_cast<float>(1 + rng() % 100);
        std::memcpy(m.data.data() + tile * t.tile_bytes + 4 * i, &v, 4);
      }
  std::vector<float> x(static_cast<size_t>(cols), 0.5f), y(static_cast<size_t>(m.rows));
  QuantizedActivations xq;
  QuantizeActivations(Context(), x.data(), 1, cols, *kernels::QuantKernelOffset(t.type), &xq);
  const std::vector<std::function<void(int64_t, int64_t)>> runs = {
      [&](int64_t a, int64_t b) { kernels::PackedRowsA(m, xq, y.data(), a * 16, b * 16); },
      [&](int64_t a, int64_t b) { kernels::PackedRowsB(m, xq, y.data(), a * 16, b * 16); },
      [&](int64_t a, int64_t b) {
        volatile uint64_t sink = XorWords(Isa::kAvx512, reinterpret_cast<const uint64_t*>(m.data.data() + a * group_bytes),
                                          static_cast<int64_t>((b - a) * group_bytes / 8));
        (void)sink;
      }};
  std::vector<std::vector<double>> gbs(runs.size());
  std::vector<int> order = {0, 1, 2};
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int v : order) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < sweeps; ++i) Split(ctx, m.groups, runs[v]);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      gbs[v].push_back(static_cast<double>(m.data.size()) * sweeps / s / 1e9);
    }
  }
  std::vector<double> share_a, share_b;
  for (int r = 0; r < rounds; ++r) {
    share_a.push_back(gbs[0][r] / gbs[2][r]);
    share_b.push_back(gbs[1][r] / gbs[2][r]);
  }
  std::printf("%-7s t%d cols %lld  probe %5.1f GB/s  A %5.1f GB/s share %.3f  B %5.1f GB/s share %.3f\n", t.name, ctx.n_threads,
              static_cast<long long>(cols), Median(gbs[2]), Median(gbs[0]), Median(share_a), Median(gbs[1]), Median(share_b));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s THREADS ROUNDS [COLS [TYPES]]\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]), rounds = std::atoi(argv[2]);
  const int64_t cols = argc > 3 ? std::atoll(argv[3]) : 4096;
  if (threads < 1 || rounds < 1 || cols <= 0 || cols % 256 != 0) {
    std::fprintf(stderr, "THREADS and ROUNDS must be >= 1, COLS a positive multiple of 256\n");
    return 2;
  }
  const char* kib_env = std::getenv("AB_KIB");
  const size_t kib = kib_env != nullptr ? std::strtoul(kib_env, nullptr, 10) : size_t{256} << 10;
  if (kib < 1) {
    std::fprintf(stderr, "AB_KIB must be a positive number of KiB\n");
    return 2;
  }
  std::mt19937 rng(1);
  Context ctx;
  ctx.isa = Isa::kAvx512;
  ctx.SetThreads(threads);
  for (const PackedType& t : kTypes)
    if (argc <= 4 || std::strstr(argv[4], t.name) != nullptr) Compare(t, ctx, rounds, cols, kib, rng);
  return 0;
}
