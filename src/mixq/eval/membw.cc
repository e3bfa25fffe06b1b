#include "mixq/eval/membw.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "mixq/base/parallel.h"
#include "mixq/kernels/matmul.h"
#include "mixq/tensor/buffer.h"

namespace mixq::eval {

std::vector<int64_t> DefaultBandwidthSizes() {
  std::vector<int64_t> sizes;
  for (int64_t b = int64_t{1} << 20; b <= int64_t{1} << 30; b *= 4) sizes.push_back(b);
  return sizes;
}

Result<std::unique_ptr<ReadProbe>> ReadProbe::Create(const Context& ctx, int64_t bytes) {
  const int64_t per_thread = bytes / ctx.n_threads / 64 * 64;
  if (per_thread < 65536) return Err("[membw] working set of {} bytes is below 64 KiB per thread", bytes);
  const int64_t total = per_thread * ctx.n_threads;
  std::shared_ptr<void> buffer = AllocateAligned(static_cast<size_t>(total));
  if (!buffer) return Err("[membw] cannot allocate {} bytes", bytes);
  std::memset(buffer.get(), 1, static_cast<size_t>(total));  // touch every page
  std::unique_ptr<ReadProbe> probe = Over(ctx, buffer.get(), total);
  probe->owned_ = std::move(buffer);
  return probe;
}

std::unique_ptr<ReadProbe> ReadProbe::Over(const Context& ctx, const void* data, int64_t bytes) {
  std::unique_ptr<ReadProbe> probe(new ReadProbe());
  probe->ctx_ = ctx;
  probe->data_ = static_cast<const uint64_t*>(data);
  probe->words_ = bytes / 8;
  // Slices of at most 4 MiB claimed dynamically (about four per thread at least), so a worker
  // that wakes late or is descheduled for a moment costs its share of one slice, not half of
  // the sweep.
  const int64_t threads = ctx.n_threads;
  probe->slice_ = std::max<int64_t>(8192, std::min<int64_t>(int64_t{1} << 19, probe->words_ / (4 * threads)) / 8 * 8);
  probe->sink_.assign(static_cast<size_t>((probe->words_ + probe->slice_ - 1) / probe->slice_) * 8, 0);
  return probe;
}

double ReadProbe::Sweep(int sweeps) {
  const int64_t n_slices = static_cast<int64_t>(sink_.size()) / 8;
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < sweeps; ++s)
    ParallelFor(ctx_, n_slices, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {  // one cache line of the sink per slice
        const int64_t begin = i * slice_, n = std::min(slice_, words_ - begin);
        sink_[i * 8] ^= XorWords(ctx_.isa, data_ + begin, n);
      }
    });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Result<std::vector<BandwidthPoint>> MeasureReadBandwidth(const Context& ctx, const std::vector<int64_t>& sizes,
                                                         double seconds, int repetitions) {
  if (repetitions < 1) return Err("[membw] repetitions must be >= 1, got {}", repetitions);
  std::vector<BandwidthPoint> points;
  for (int64_t bytes : sizes) {
    auto probe = ReadProbe::Create(ctx, bytes);
    if (!probe.ok()) return probe.status();
    ReadProbe& p = **probe;
    p.Sweep();  // warm-up
    int sweeps = 1;
    while (sweeps < (1 << 20) && p.Sweep(sweeps) < seconds / 2) sweeps *= 2;
    double best = 1e300;
    for (int r = 0; r < repetitions; ++r) best = std::min(best, p.Sweep(sweeps));
    points.push_back({bytes, static_cast<double>(p.bytes()) * sweeps / best});
  }
  return points;
}

}  // namespace mixq::eval
