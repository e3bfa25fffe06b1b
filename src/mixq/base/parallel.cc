#include "mixq/base/parallel.h"

#include <algorithm>

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
  // About four chunks per thread: small enough to rebalance around a descheduled thread,
  // large enough that claiming a chunk costs nothing next to computing it.
  const int64_t target_chunks = std::min<int64_t>(n_grains, 4 * static_cast<int64_t>(ctx.n_threads));
  const int64_t grains_per_chunk = (n_grains + target_chunks - 1) / target_chunks;
  const int64_t chunk = grains_per_chunk * grain;
  const int64_t n_chunks = (n + chunk - 1) / chunk;
  ctx.pool->Run(n_chunks, [&](int64_t c) { fn(c * chunk, std::min(n, (c + 1) * chunk)); });
}

}  // namespace mixq
