#include "mixq/eval/membw.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "mixq/base/parallel.h"
#include "mixq/kernels/matmul.h"
#include "mixq/tensor/buffer.h"

namespace mixq::eval {

std::vector<int64_t> DefaultBandwidthSizes() {
  std::vector<int64_t> sizes;
  for (int64_t b = int64_t{1} << 20; b <= int64_t{1} << 30; b *= 4) sizes.push_back(b);
  return sizes;
}

Result<std::vector<BandwidthPoint>> MeasureReadBandwidth(const Context& ctx, const std::vector<int64_t>& sizes,
                                                         double seconds, int repetitions) {
  if (repetitions < 1) return Err("[membw] repetitions must be >= 1, got {}", repetitions);
  const int64_t threads = ctx.n_threads;
  std::vector<BandwidthPoint> points;
  for (int64_t bytes : sizes) {
    const int64_t per_thread = bytes / threads / 64 * 64 / static_cast<int64_t>(sizeof(float));
    if (per_thread * static_cast<int64_t>(sizeof(float)) < 65536)
      return Err("[membw] working set of {} bytes is below 64 KiB per thread", bytes);
    std::shared_ptr<void> buffer = AllocateAligned(static_cast<size_t>(per_thread * threads) * sizeof(float));
    if (!buffer) return Err("[membw] cannot allocate {} bytes", bytes);
    float* data = static_cast<float*>(buffer.get());
    for (int64_t i = 0; i < per_thread * threads; ++i) data[i] = 1.0f;  // touch every page
    // Each sweep reads the buffer once in slices of at most 4 MiB claimed dynamically (about
    // four per thread at least), so a worker that wakes late or is descheduled for a moment
    // costs its share of one slice, not half of the sweep.
    const int64_t total = per_thread * threads;
    const int64_t slice = std::max<int64_t>(16384, std::min<int64_t>(int64_t{1} << 20, total / (4 * threads)) / 16 * 16);
    const int64_t n_slices = (total + slice - 1) / slice;
    std::vector<float> sink(static_cast<size_t>(n_slices) * 16, 0.0f);  // one cache line per slice
    auto sweep = [&](int sweeps) {
      for (int s = 0; s < sweeps; ++s)
        ParallelFor(ctx, n_slices, 1, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            const int64_t begin = i * slice, n = std::min(slice, total - begin);
            sink[i * 16] += DotF32(ctx.isa, data + begin, data + begin, n);
          }
        });
    };
    using Clock = std::chrono::steady_clock;
    auto time = [&](int sweeps) {
      const auto t0 = Clock::now();
      sweep(sweeps);
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    sweep(1);  // warm-up
    int sweeps = 1;
    while (sweeps < (1 << 20) && time(sweeps) < seconds / 2) sweeps *= 2;
    double best = 1e300;
    for (int r = 0; r < repetitions; ++r) best = std::min(best, time(sweeps));
    points.push_back({bytes, static_cast<double>(per_thread * threads) * sizeof(float) * sweeps / best});
  }
  return points;
}

}  // namespace mixq::eval
