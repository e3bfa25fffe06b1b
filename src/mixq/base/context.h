// The explicit execution context: thread count and instruction set travel with every call
// (no global mutable state), so tests can force each ISA and single-threaded runs stay exact.
#pragma once

#include <memory>
#include <string>

#include "mixq/base/thread_pool.h"

namespace mixq {

enum class Isa { kRef = 0, kAvx2 = 1, kAvx512 = 2 };

const char* IsaName(Isa isa);
// Parses "ref", "avx2", "avx512"; false on anything else.
bool ParseIsa(const std::string& name, Isa* out);

// What this CPU supports (checked once with cpuid): AVX-512 means F+BW+VL+DQ.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512 = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};
const CpuFeatures& GetCpuFeatures();
Isa BestIsa();
bool IsaSupported(Isa isa);

struct Context {
  int n_threads = 1;
  Isa isa = Isa::kRef;
  // The workers for n_threads > 1 (shared by copies of this context); set by SetThreads.
  std::shared_ptr<ThreadPool> pool;

  // Sets the thread count and starts a pool of that size (none for 1).
  void SetThreads(int threads);
  // The best ISA this CPU has and every hardware thread.
  static Context Default();
};

}  // namespace mixq
