#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "mixq/base/parallel.h"
#include "mixq/base/thread_pool.h"

namespace mixq {
namespace {

TEST(ThreadPool, RunsEveryChunkExactlyOnceAcrossManyJobs) {
  ThreadPool pool(3);
  for (int job = 0; job < 2000; ++job) {
    const int64_t n = 1 + job % 37;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.Run(n, [&](int64_t c) { hits[c].fetch_add(1); });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "job " << job;
  }
}

// A slow chunk on one thread does not stop the others from finishing the rest: the caller
// returns once every chunk is done, and the total stays exact.
TEST(ThreadPool, UnevenChunksStillComplete) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.Run(64, [&](int64_t c) {
    if (c == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sum.fetch_add(c);
  });
  EXPECT_EQ(sum.load(), 63 * 64 / 2);
}

TEST(ThreadPool, IdleWorkersSleepAndWakeForNewJobs) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.Run(8, [&](int64_t) { count++; });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin window
  pool.Run(8, [&](int64_t) { count++; });
  EXPECT_EQ(count.load(), 16);
}

TEST(ParallelFor, SingleThreadContextNeedsNoPool) {
  Context ctx;  // n_threads 1, no pool
  int64_t covered = 0;
  ParallelFor(ctx, 100, 8, [&](int64_t b, int64_t e) { covered += e - b; });
  EXPECT_EQ(covered, 100);
}

}  // namespace
}  // namespace mixq
