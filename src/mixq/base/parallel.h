// Parallel loops over independent work items on the context's ThreadPool. Work is split into
// contiguous ranges claimed dynamically; each item is computed by one thread in a fixed order,
// so results do not depend on the thread count or on which thread ran what.
#pragma once

#include <cstdint>
#include <functional>

#include "mixq/base/context.h"

namespace mixq {

// Calls fn(begin, end) on disjoint ranges covering [0, n), each range a multiple of `grain`
// items except the last. Runs inline when ctx.n_threads == 1 or n is one grain. A context
// with n_threads > 1 must have its pool (Context::SetThreads).
void ParallelFor(const Context& ctx, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace mixq
