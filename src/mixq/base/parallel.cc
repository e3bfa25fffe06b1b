#include "mixq/base/parallel.h"

#include <omp.h>

#include <algorithm>

namespace mixq {

void ParallelFor(const Context& ctx, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n_chunks = (n + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<int64_t>(ctx.n_threads, n_chunks));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    // Contiguous chunk ranges: thread t gets chunks [c0, c1).
    const int64_t c0 = n_chunks * t / threads, c1 = n_chunks * (t + 1) / threads;
    const int64_t begin = c0 * grain, end = std::min(n, c1 * grain);
    if (begin < end) fn(begin, end);
  }
}

}  // namespace mixq
