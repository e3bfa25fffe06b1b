// A small pool for the forward pass's many short parallel operators (a decode step runs ~60).
// Work is split into chunks claimed through an atomic counter; the calling thread claims
// chunks too and then waits only for chunks other threads have already claimed. A worker that
// is descheduled (a shared machine, more runnable threads than cores) therefore delays no one
// unless it holds a chunk, unlike a static split where every operator waits for the slowest
// thread to be scheduled. Which thread runs a chunk never changes what the chunk computes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mixq {

class ThreadPool {
 public:
  // n_threads counts the caller: n_threads - 1 workers are started.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(chunk) for every chunk in [0, n_chunks) and returns when all have finished.
  // Not reentrant: fn must not call Run on the same pool.
  void Run(int64_t n_chunks, const std::function<void(int64_t)>& fn);

 private:
  struct Job {
    const std::function<void(int64_t)>* fn = nullptr;
    int64_t n_chunks = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
  };
  static void Work(Job& job);
  void WorkerLoop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;                // guarded by mutex_
  std::atomic<uint64_t> generation_{0};     // bumped for each job
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace mixq
