#include "mixq/base/parallel.h"

#include <algorithm>
#include <array>

#include "mixq/base/status.h"

namespace mixq {

void ParallelFor(const Context& ctx, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n_grains = (n + grain - 1) / grain;
  if (ctx.n_threads <= 1 || n_grains == 1) {
    fn(0, n);
    return;
  }
  MIXQ_CHECK(ctx.pool != nullptr && "Context::SetThreads starts the pool");
  // Guided schedule: chunk c takes 1/(2T) of the grains not yet handed out, down to a floor of
  // 1/(64T) of all grains (one grain at least). Early chunks are large (claiming costs nothing
  // next to them); the last ones are small, so the threads finish together. With four equal
  // chunks per thread, perf of decode of Qwen2.5-0.5B Q4_0 on 2 threads put 6.1% of all samples
  // (about 15% of the main thread's decode time) in ThreadPool::Run waiting for the worker's
  // last chunk; 3.7% with this schedule. Boundaries depend only on (n, grain, T).
  const int64_t threads = ctx.n_threads;
  const int64_t floor_grains = std::max<int64_t>(1, n_grains / (64 * threads));
  constexpr int kMaxChunks = 1024;
  std::array<int64_t, kMaxChunks + 1> first_grain;  // chunk c = grains [first_grain[c], first_grain[c + 1])
  int n_chunks = 0;
  for (int64_t g = 0; g < n_grains; ++n_chunks) {
    first_grain[n_chunks] = g;
    const int64_t take = std::max(floor_grains, (n_grains - g) / (2 * threads));
    g = n_chunks + 1 == kMaxChunks ? n_grains : std::min(n_grains, g + take);
  }
  first_grain[n_chunks] = n_grains;
  ctx.pool->Run(n_chunks, [&](int64_t c) { fn(first_grain[c] * grain, std::min(n, first_grain[c + 1] * grain)); });
}

}  // namespace mixq
