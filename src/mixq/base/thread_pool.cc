#include "mixq/base/thread_pool.h"

#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#define MIXQ_PAUSE() _mm_pause()
#else
#define MIXQ_PAUSE() std::this_thread::yield()
#endif

namespace mixq {
namespace {
// How long an idle worker polls for the next job before sleeping. Decode steps issue jobs
// microseconds apart, so polling keeps them warm; a bounded time keeps idle pools off the CPU.
constexpr auto kSpinTime = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Work(Job& job) {
  for (int64_t c = job.next.fetch_add(1, std::memory_order_relaxed); c < job.n_chunks;
       c = job.next.fetch_add(1, std::memory_order_relaxed)) {
    (*job.fn)(c);
    job.done.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::Run(int64_t n_chunks, const std::function<void(int64_t)>& fn) {
  if (n_chunks <= 0) return;
  if (workers_.empty() || n_chunks == 1) {
    for (int64_t c = 0; c < n_chunks; ++c) fn(c);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n_chunks = n_chunks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = job;
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  Work(*job);
  // Only chunks another thread already claimed are left; they are running now.
  while (job->done.load(std::memory_order_acquire) < n_chunks) MIXQ_PAUSE();
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  while (true) {
    auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    uint64_t gen;
    int polls = 0;
    while ((gen = generation_.load(std::memory_order_acquire)) == seen && !stop_.load(std::memory_order_relaxed)) {
      MIXQ_PAUSE();
      if (++polls % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.fetch_add(1, std::memory_order_acq_rel);
        wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
        sleeping_.fetch_sub(1, std::memory_order_acq_rel);
        deadline = std::chrono::steady_clock::now() + kSpinTime;
      }
    }
    if (stop_.load()) return;
    std::shared_ptr<Job> job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job = job_;
      seen = generation_.load(std::memory_order_acquire);
    }
    // A job that finished before this worker woke has no chunks left: Work returns at once
    // without touching fn (whose owner may have returned).
    Work(*job);
  }
}

}  // namespace mixq
