// Internal: the per-ISA kernel entry points behind matmul.h. Each ISA lives in its own
// translation unit compiled with its own flags (kernels_avx2.cc, kernels_avx512.cc), and
// everything inside those files is in an anonymous namespace so no inline function compiled
// for one ISA can be picked by the linker for another.
#pragma once

#include <cstdint>

#include "mixq/kernels/matmul.h"

namespace mixq::kernels {

struct KernelTable {
  // Outputs for rows [row_begin, row_end) and all n tokens; false if the type is unsupported.
  bool (*matmul_rows)(const WeightMatrix& w, const float* x, int64_t n, float* y, int64_t row_begin,
                      int64_t row_end);
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  void (*axpy_f32)(float a, const float* x, float* y, int64_t n);
  uint64_t (*xor_words)(const uint64_t* p, int64_t n);
  void (*silu_mul_f32)(float* gate, const float* up, int64_t n);
};

const KernelTable& RefKernels();
const KernelTable& Avx2Kernels();
const KernelTable& Avx512Kernels();
const KernelTable& KernelsFor(Isa isa);

}  // namespace mixq::kernels
