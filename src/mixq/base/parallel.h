// Parallel loops over independent work items (OpenMP underneath). Work is split into
// contiguous static ranges, so each item is always computed by one thread in a fixed order:
// results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>

#include "mixq/base/context.h"

namespace mixq {

// Calls fn(begin, end) on disjoint ranges covering [0, n), each range a multiple of `grain`
// items except the last. Runs inline when ctx.n_threads == 1 or n is small.
void ParallelFor(const Context& ctx, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace mixq
