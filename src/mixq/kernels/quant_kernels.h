// Integer-dot kernels for quantized weights, shared facts of every ISA.
// A weight type with such a kernel has its activations quantized to 8 bits (quant_act.h);
// each output is sum over 32-element blocks of (weight scale * activation scale) * (exact
// integer dot of the codes). The scalar kernels (qkernels_ref.cc) are the specification;
// SIMD versions reorder only the float sums of block results.
#pragma once

#include <cstdint>
#include <optional>

#include "mixq/kernels/matmul.h"
#include "mixq/kernels/quant_act.h"

namespace mixq::kernels {

// The zero point the unsigned codes of a weight type carry in the SIMD kernels (Q4_0: codes
// 0..15 stand for -8..7, offset 8; Q8_0: int8 codes biased by 128), or nullopt when the type
// has no integer kernel (it then runs through the dequantizing path).
std::optional<int32_t> QuantKernelOffset(DType type);

// y[t * rows + r] for r in [r0, r1), t < xq.n. False if this ISA has no kernel for w.type.
using QuantRowsFn = bool (*)(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);

bool QuantRowsRef(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool QuantRowsAvx2(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool QuantRowsAvx512(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);

// The K-quants (Q2_K..Q6_K) and IQ4_NL, Q4_1, Q5_0, Q5_1 (qkernels_kquant_*.cc; the _ref file
// documents their specification). QuantRowsRef falls through to QuantRowsKQuantRef.
bool QuantRowsKQuantRef(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool QuantRowsKQuantAvx2(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);
bool QuantRowsKQuantAvx512(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1);

}  // namespace mixq::kernels
