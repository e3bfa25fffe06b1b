// mixq device probe [-o FILE]: measures this machine and writes a forecast device file
//   (memory bandwidth per working-set size, peak f32 / int8 / bf16 rates, per-op fork/join
//   overhead); mixq device check FILE...: validates device files; mixq device list.
//
// Measurement kernels use intrinsics inside functions compiled for their ISA with GCC target
// attributes, chosen at run time; they run on every thread through ParallelFor, like the
// engine's kernels. Every number is the best of several repetitions (the STREAM convention:
// the least disturbed run on a shared, noisy machine).
#include <dirent.h>
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "mixq/base/parallel.h"
#include "mixq/forecast/device.h"
#include "mixq/kernels/matmul.h"

namespace mixq::cli {

// Shared with cmd_forecast.cc (--hw NAME): $MIXQ_DEVICES, ./devices, devices/ near the binary.
std::vector<std::string> DeviceSearchDirsForCli() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  const char* env = std::getenv("MIXQ_DEVICES");
  return forecast::DeviceSearchDirs(env ? env : "", n > 0 ? std::string(buf, static_cast<size_t>(n)) : "");
}

namespace {

using forecast::Device;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- compute kernels: `iters` rounds of 12 independent multiply-adds (enough in flight to
// cover two FMA pipes x 4-cycle latency; the unrolled array lives in registers); each returns
// a value that depends on every accumulator, so nothing is optimised away. ----

constexpr int kChains = 12;

__attribute__((target("avx512f"))) float FmaAvx512(int64_t iters) {
  const __m512 m = _mm512_set1_ps(0.9999999f), a = _mm512_set1_ps(1e-7f);
  __m512 x[kChains];
  for (__m512& v : x) v = _mm512_set1_ps(0.1f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < kChains; ++k) x[k] = _mm512_fmadd_ps(x[k], m, a);
  }
  alignas(64) float lanes[16];  // (the reduce intrinsics trip a GCC 12 false warning)
  for (int k = 1; k < kChains; ++k) x[0] = _mm512_add_ps(x[0], x[k]);
  _mm512_store_ps(lanes, x[0]);
  return lanes[0] + lanes[15];
}

__attribute__((target("avx2,fma"))) float FmaAvx2(int64_t iters) {
  const __m256 m = _mm256_set1_ps(0.9999999f), a = _mm256_set1_ps(1e-7f);
  __m256 x[kChains];
  for (__m256& v : x) v = _mm256_set1_ps(0.1f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < kChains; ++k) x[k] = _mm256_fmadd_ps(x[k], m, a);
  }
  alignas(32) float lanes[8];
  for (int k = 1; k < kChains; ++k) x[0] = _mm256_add_ps(x[0], x[k]);
  _mm256_store_ps(lanes, x[0]);
  return lanes[0] + lanes[7];
}

float FmaScalar(int64_t iters) {  // separate multiply and add: 2 FLOPs per element per round
  float x[kChains];
  for (float& v : x) v = 0.1f;
  for (int64_t i = 0; i < iters; ++i)
    for (float& v : x) v = v * 0.9999999f + 1e-7f;
  for (int k = 1; k < kChains; ++k) x[0] += x[k];
  return x[0];
}

// u8 x s8 dot products into i32 (VNNI): 64 multiply-adds per instruction.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) float DotInt8Avx512(int64_t iters) {
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  __m512i x[kChains];
  for (__m512i& v : x) v = _mm512_setzero_si512();
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < kChains; ++k) x[k] = _mm512_dpbusd_epi32(x[k], a, b);
  }
  alignas(64) int32_t lanes[16];
  for (int k = 1; k < kChains; ++k) x[0] = _mm512_add_epi32(x[0], x[k]);
  _mm512_store_si512(lanes, x[0]);
  return static_cast<float>(lanes[0] + lanes[15]);
}

// bf16 pair dot products into f32: 32 multiply-adds per instruction.
__attribute__((target("avx512f,avx512bf16"))) float DotBf16Avx512(int64_t iters) {
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
  __m512 x[kChains];
  for (__m512& v : x) v = _mm512_setzero_ps();
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < kChains; ++k) x[k] = _mm512_dpbf16_ps(x[k], a, a);
  }
  alignas(64) float lanes[16];
  for (int k = 1; k < kChains; ++k) x[0] = _mm512_add_ps(x[0], x[k]);
  _mm512_store_ps(lanes, x[0]);
  return lanes[0] + lanes[15];
}

// ---- memory kernel: sums a float range with 256-bit loads (4 accumulators). ----

__attribute__((target("avx2"))) float ReadAvx2(const float* p, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float s = lanes[0] + lanes[5];
  for (; i < n; ++i) s += p[i];
  return s;
}

float ReadScalar(const float* p, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) s0 += p[i], s1 += p[i + 1], s2 += p[i + 2], s3 += p[i + 3];
  for (; i < n; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

struct ProbeOptions {
  std::string output = "devices/this-machine.json";
  std::string name;
  double seconds = 0.3;  // target duration of one timed repetition
  int repetitions = 5;
  ComputeOptions compute;
};

// Best-of-N wall time of fn() (seconds).
template <typename Fn>
double BestTime(int repetitions, Fn&& fn) {
  double best = 1e300;
  for (int r = 0; r < repetitions; ++r) {
    const double t0 = Now();
    fn();
    best = std::min(best, Now() - t0);
  }
  return best;
}

// Peak rate (ops/s) of a per-thread kernel doing `ops_per_iter` operations per iteration.
double PeakRate(const Context& ctx, const ProbeOptions& o, float (*kernel)(int64_t), double ops_per_iter) {
  volatile float sink = 0;
  int64_t iters = 1 << 16;
  for (;;) {  // calibrate the iteration count to ~o.seconds
    const double t0 = Now();
    sink = sink + kernel(iters);
    if (Now() - t0 > o.seconds / 4 || iters > (int64_t{1} << 40)) break;
    iters *= 4;
  }
  float sums[256] = {};
  const double t = BestTime(o.repetitions, [&] {
    ParallelFor(ctx, ctx.n_threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sums[i % 256] += kernel(iters);
    });
  });
  sink = sink + sums[0];
  return ops_per_iter * static_cast<double>(iters) * ctx.n_threads / t;
}

// Read bandwidth (bytes/s) with a working set of `bytes`, split over the threads. Each thread
// sweeps its own slice `sweeps` times inside one parallel region, so fork/join stays out.
double ReadBandwidth(const Context& ctx, const ProbeOptions& o, const float* data, size_t bytes) {
  const int64_t threads = ctx.n_threads;
  const int64_t slice = static_cast<int64_t>(bytes / sizeof(float)) / threads / 64 * 64;
  const bool avx2 = GetCpuFeatures().avx2;
  std::vector<float> sums(static_cast<size_t>(threads) * 16, 0.0f);  // a cache line per thread
  auto run = [&](int sweeps) {
    ParallelFor(ctx, threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const float* p = data + t * slice;
        for (int s = 0; s < sweeps; ++s) sums[t * 16] += avx2 ? ReadAvx2(p, slice) : ReadScalar(p, slice);
      }
    });
  };
  run(1);  // warm the caches (and the pages) before timing
  int sweeps = 1;
  while (sweeps < (1 << 24) && BestTime(1, [&] { run(sweeps); }) < o.seconds / 4) sweeps *= 2;
  const double t = BestTime(o.repetitions, [&] { run(sweeps); });
  volatile float sink = sums[0];
  (void)sink;
  return static_cast<double>(slice * threads) * sizeof(float) * sweeps / t;
}

// Fork/join cost of one parallel region: the engine pays it once per operator.
double ForkJoinSeconds(const Context& ctx) {
  const int reps = 20000;
  std::vector<int64_t> hits(256, 0);
  const double t = BestTime(3, [&] {
    for (int r = 0; r < reps; ++r)
      ParallelFor(ctx, ctx.n_threads, 1, [&](int64_t b, int64_t e) { hits[b % 256] += e - b; });
  });
  return t / reps;
}

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

struct Level {
  size_t bytes;
  double bandwidth;
};

// Bandwidth against working-set size, from half the L2 of the threads up to `dram_bytes`.
std::vector<Level> BandwidthSweep(const Context& ctx, const ProbeOptions& o, size_t l2_total, size_t dram_bytes) {
  const size_t n_floats = dram_bytes / sizeof(float);
  std::unique_ptr<float, decltype(&std::free)> data(static_cast<float*>(std::aligned_alloc(64, n_floats * 4)),
                                                     &std::free);
  // First touch by the threads that will read it; values small and finite.
  ParallelFor(ctx, static_cast<int64_t>(n_floats), 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) data.get()[i] = static_cast<float>(i % 7) * 0.25f;
  });
  std::vector<Level> levels;
  for (size_t bytes = std::max<size_t>(l2_total / 2, 64 << 10); bytes < dram_bytes; bytes *= 2) {
    levels.push_back({bytes, ReadBandwidth(ctx, o, data.get(), bytes)});
    std::fprintf(stderr, "[probe] read %8.2f MiB: %7.1f GB/s\n", bytes / 1048576.0, levels.back().bandwidth / 1e9);
  }
  levels.push_back({dram_bytes, ReadBandwidth(ctx, o, data.get(), dram_bytes)});
  std::fprintf(stderr, "[probe] read %8.2f MiB: %7.1f GB/s (main memory)\n", dram_bytes / 1048576.0,
               levels.back().bandwidth / 1e9);
  return levels;
}

void AddMemory(const Context& ctx, const ProbeOptions& o, Device* d) {
  const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  const size_t l2_total = l2 > 0 ? static_cast<size_t>(l2) * ctx.n_threads : (1 << 20);
  const size_t dram_bytes = size_t{1} << 30;  // far beyond any cache a VM slice sees
  std::vector<Level> sweep = BandwidthSweep(ctx, o, l2_total, dram_bytes);
  // Main memory: the best read of the working sets of 256 MiB and more (all far beyond the L3
  // a core gets), not the 1 GiB point alone: the host's speed drifts, and one slow main-memory
  // reading would make the 1.5x criterion below call a 128 MiB working set a cache.
  constexpr size_t kMainMemoryFrom = size_t{256} << 20;
  double dram = 0;
  for (const Level& l : sweep)
    if (l.bytes >= kMainMemoryFrom || &l == &sweep.back()) dram = std::max(dram, l.bandwidth);
  const std::string how = fmt::format("measured by mixq device probe on {} ({} threads, {} repetitions, best)", Today(),
                                      ctx.n_threads, o.repetitions);
  d->memory_bandwidth = dram;
  d->sources["memory.bandwidth_gbs"] =
      fmt::format("{}: best read of the {}-{} MiB buffers", how, kMainMemoryFrom >> 20, dram_bytes >> 20);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) {
    d->memory_capacity = static_cast<double>(pages) * static_cast<double>(page);
    d->sources["memory.capacity_gib"] = "sysconf(_SC_PHYS_PAGES) x page size on this machine";
  }
  // Cache levels: the first sweep point (half the threads' L2), and the largest working set
  // still read at least 1.5x faster than main memory (the cache the threads effectively get).
  auto add_level = [&](const char* name, const Level& l) {
    const std::string path = fmt::format("caches[{}]", d->caches.size());
    d->caches.push_back({name, static_cast<double>(l.bytes), l.bandwidth});
    d->sources[path + ".capacity_mib"] = fmt::format("{}: working-set size of the measurement", how);
    d->sources[path + ".bandwidth_gbs"] = fmt::format("{}: read of a {:.2f} MiB buffer", how, l.bytes / 1048576.0);
  };
  if (sweep.size() > 1 && sweep.front().bandwidth > 1.5 * dram) add_level("L2", sweep.front());
  for (size_t i = sweep.size() - 1; i-- > 1;) {
    if (sweep[i].bandwidth > 1.5 * dram) {
      add_level("L3", sweep[i]);
      break;
    }
  }
}

void AddPeaks(const Context& ctx, const ProbeOptions& o, Device* d) {
  const CpuFeatures& f = GetCpuFeatures();
  const std::string how = fmt::format("measured by mixq device probe on {} ({} threads, best of {})", Today(),
                                      ctx.n_threads, o.repetitions);
  double f32 = 0;
  std::string kernel;
  if (ctx.isa == Isa::kAvx512) {
    f32 = PeakRate(ctx, o, FmaAvx512, kChains * 16 * 2), kernel = "AVX-512 FMA";
  } else if (ctx.isa == Isa::kAvx2 && f.fma) {
    f32 = PeakRate(ctx, o, FmaAvx2, kChains * 8 * 2), kernel = "AVX2 FMA";
  } else {
    f32 = PeakRate(ctx, o, FmaScalar, kChains * 2), kernel = "scalar multiply-add";
  }
  d->peak["f32"] = f32;
  d->sources["peak_tops.f32"] = fmt::format("{}: {} loop, 12 independent accumulators", how, kernel);
  std::fprintf(stderr, "[probe] f32 (%s): %.1f GFLOP/s\n", kernel.c_str(), f32 / 1e9);
  d->matmul_compute = {{"default", "f32"}};
  if (f.avx512 && f.avx512_vnni && ctx.isa == Isa::kAvx512) {
    d->peak["int8"] = PeakRate(ctx, o, DotInt8Avx512, kChains * 64 * 2);
    d->sources["peak_tops.int8"] = how + ": AVX-512 VNNI vpdpbusd loop (u8 x s8 -> s32), 2 ops per multiply-add";
    // Quantized kernels (a later issue) are expected to use int8 dot products, as ggml's do.
    d->matmul_compute["quantized"] = "int8";
    std::fprintf(stderr, "[probe] int8 (VNNI): %.1f GOPS\n", d->peak["int8"] / 1e9);
  }
  if (f.avx512 && f.avx512_bf16 && ctx.isa == Isa::kAvx512) {
    d->peak["bf16"] = PeakRate(ctx, o, DotBf16Avx512, kChains * 32 * 2);
    d->sources["peak_tops.bf16"] = how + ": AVX-512 BF16 vdpbf16ps loop";
    std::fprintf(stderr, "[probe] bf16 (AVX512-BF16): %.1f GFLOP/s\n", d->peak["bf16"] / 1e9);
  }
}

int RunProbe(const ProbeOptions& o) {
  auto ctx = MakeContext(o.compute);
  if (!ctx.ok()) return ReportError(ctx.status());
  Device d;
  d.kind = "cpu";
  d.threads = ctx->n_threads;
  d.name = o.name.empty() ? fmt::format("{} ({} threads, this machine)", CpuModelName(), ctx->n_threads) : o.name;
  d.description = fmt::format("Measured with `mixq device probe` (isa {}): mixq's own CPU engine, f32 activations and "
                              "f32 KV cache, attention scores kept in per-thread buffers.", IsaName(ctx->isa));
  AddPeaks(*ctx, o, &d);
  AddMemory(*ctx, o, &d);
  d.overhead_per_op = ForkJoinSeconds(*ctx);
  d.sources["runtime.overhead_us.per_op"] = fmt::format("measured: mean fork/join of an empty ParallelFor over {} "
                                                        "threads (mixq runs one per matmul)", ctx->n_threads);
  d.sources["runtime.overhead_us.per_pass"] = "not measured: calibrate";
  std::fprintf(stderr, "[probe] fork/join: %.2f us\n", d.overhead_per_op * 1e6);
  d.exec.activation_type = DType::kF32;
  d.exec.fusion.flash_attention = true;  // mixq's attention never writes the score matrix
  d.exec.kv_per_query_head = true;       // one work item per (token, query head) reads its K/V rows
  d.exec.token_block = kMatMulTokenBlock;  // prefill streams each matrix once per token block
  d.sources["runtime.token_block"] = "mixq's matmul kernels: kMatMulTokenBlock (src/mixq/kernels/matmul.h)";
  d.efficiency = forecast::DefaultEfficiencies("cpu");
  d.efficiency_source = "uncalibrated: mixq defaults for kind 'cpu' (docs/forecast.md#default-efficiency-factors); "
                        "fit with 'mixq forecast calibrate'";
  std::ofstream out(o.output, std::ios::trunc);
  out << forecast::DeviceToJson(d);
  if (!out) return ReportError(Err("[device] {}: cannot write", o.output));
  std::fprintf(stderr, "[probe] wrote %s\n", o.output.c_str());
  return 0;
}

int RunCheck(const std::vector<std::string>& files) {
  int failures = 0;
  for (const std::string& name : files) {
    Result<std::string> path = forecast::FindDeviceFile(name, DeviceSearchDirsForCli());
    Result<Device> d = path.ok() ? forecast::LoadDevice(*path) : Result<Device>(path.status());
    if (!d.ok()) {
      std::fprintf(stderr, "mixq: error: %s\n", d.message().c_str());
      ++failures;
      continue;
    }
    std::string peaks;
    for (const auto& [type, ops] : d->peak) peaks += fmt::format(" {} {:.4g} TOPS", type, ops / 1e12);
    std::printf("%s: ok: %s [%s], %.4g GB/s,%s, %s\n", path->c_str(), d->name.c_str(), d->kind.c_str(),
                d->memory_bandwidth / 1e9, peaks.c_str(), d->calibrated ? "calibrated" : "uncalibrated");
  }
  return failures ? 1 : 0;
}

int RunList() {
  for (const std::string& dir : DeviceSearchDirsForCli()) {
    DIR* d = opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.substr(n.size() - 5) == ".json") names.push_back(n.substr(0, n.size() - 5));
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    std::printf("%s:\n", dir.c_str());
    for (const std::string& n : names) std::printf("  %s\n", n.c_str());
    return 0;  // the first directory that exists is the one --hw NAME resolves against first
  }
  return ReportError(Err("[device] no devices directory found (set MIXQ_DEVICES)"));
}

CommandRegistration reg("device", "device files for forecasts: probe this machine, check, list", [](CLI::App* sub) {
  sub->require_subcommand(1);
  auto probe = std::make_shared<ProbeOptions>();
  CLI::App* p = sub->add_subcommand("probe", "measure this machine's bandwidth, peak rates and overheads");
  p->add_option("-o,--output", probe->output, "device file to write (default devices/this-machine.json)");
  p->add_option("--name", probe->name, "device name (default: CPU model and thread count)");
  p->add_option("--seconds", probe->seconds, "target seconds per timed repetition (default 0.3)");
  p->add_option("-r,--repetitions", probe->repetitions, "repetitions per measurement, best kept (default 5)");
  AddComputeOptions(p, &probe->compute);
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* c = sub->add_subcommand("check", "validate device files (paths or names under devices/)");
  c->add_option("files", *files, "device files")->required();
  CLI::App* l = sub->add_subcommand("list", "list the device files --hw NAME can use");
  return [=] {
    if (p->parsed()) return RunProbe(*probe);
    if (c->parsed()) return RunCheck(*files);
    if (l->parsed()) return RunList();
    return 1;
  };
});

}  // namespace
}  // namespace mixq::cli
