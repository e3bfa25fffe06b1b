#include "mixq/base/context.h"

#include <cpuid.h>

#include <thread>

namespace mixq {

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kRef: return "ref";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

bool ParseIsa(const std::string& name, Isa* out) {
  if (name == "ref") *out = Isa::kRef;
  else if (name == "avx2") *out = Isa::kAvx2;
  else if (name == "avx512") *out = Isa::kAvx512;
  else return false;
  return true;
}

static CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & bit_OSXSAVE;
  f.fma = c & bit_FMA;
  f.f16c = c & bit_F16C;
  if (!osxsave) return f;
  unsigned xcr0_lo, xcr0_hi;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool ymm_os = (xcr0_lo & 0x6) == 0x6;
  const bool zmm_os = (xcr0_lo & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = ymm_os && (b & bit_AVX2) && f.fma && f.f16c;
  const bool avx512f = b & bit_AVX512F, bw = b & bit_AVX512BW, vl = b & bit_AVX512VL, dq = b & bit_AVX512DQ;
  f.avx512 = f.avx2 && zmm_os && avx512f && bw && vl && dq;
  f.avx512_vnni = f.avx512 && (c & bit_AVX512VNNI);
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512_bf16 = f.avx512 && (a & bit_AVX512BF16);
  return f;
}

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = DetectCpuFeatures();
  return features;
}

bool IsaSupported(Isa isa) {
  const CpuFeatures& f = GetCpuFeatures();
  switch (isa) {
    case Isa::kRef: return true;
    case Isa::kAvx2: return f.avx2;
    case Isa::kAvx512: return f.avx512;
  }
  return false;
}

Isa BestIsa() {
  if (IsaSupported(Isa::kAvx512)) return Isa::kAvx512;
  if (IsaSupported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kRef;
}

void Context::SetThreads(int threads) {
  n_threads = threads < 1 ? 1 : threads;
  pool = n_threads > 1 ? std::make_shared<ThreadPool>(n_threads) : nullptr;
}

Context Context::Default() {
  Context ctx;
  ctx.isa = BestIsa();
  const unsigned hw = std::thread::hardware_concurrency();
  ctx.SetThreads(hw == 0 ? 1 : static_cast<int>(hw));
  return ctx;
}

}  // namespace mixq
