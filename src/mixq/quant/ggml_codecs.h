// Typed entry points of the ggml-compatible reference codecs (blocks.h has the layouts). Each
// converts a row of n elements, n a multiple of the type's block size. Dequantization
// reproduces ggml's dequantize_row_* bit for bit; quantization is mixq's own parameter search
// (ggml_search.h): round-to-nearest with a least-squares scale search when importance is null,
// importance-weighted otherwise (never worse than RTN on the weighted error, block by block).
// The registry (FindQuantCodec) reaches these through type-erased wrappers (ggml_codecs.cc);
// kernels may call them directly.
#pragma once

#include <cstdint>

#include "mixq/quant/blocks.h"

namespace mixq {

// ggml_legacy.cc
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n);
void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t n);
void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t n);
void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t n);
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n);
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n, const float* importance);
void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t n, const float* importance);
void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t n, const float* importance);
void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t n, const float* importance);
// Without importance Q8_0 is plain RTN with d = amax / 127, q = nearest(x / f16(d)) in
// -127..127: cheap enough for activations.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n, const float* importance);

// ggml_iq4nl.cc
void DequantizeRowIQ4_NL(const BlockIQ4_NL* x, float* y, int64_t n);
void QuantizeRowIQ4_NL(const float* x, BlockIQ4_NL* y, int64_t n, const float* importance);

// ggml_kquants_q2q3.cc
void DequantizeRowQ2_K(const BlockQ2_K* x, float* y, int64_t n);
void DequantizeRowQ3_K(const BlockQ3_K* x, float* y, int64_t n);
void QuantizeRowQ2_K(const float* x, BlockQ2_K* y, int64_t n, const float* importance);
void QuantizeRowQ3_K(const float* x, BlockQ3_K* y, int64_t n, const float* importance);

// ggml_kquants_q4q5.cc
void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t n);
void DequantizeRowQ5_K(const BlockQ5_K* x, float* y, int64_t n);
void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t n, const float* importance);
void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t n, const float* importance);

// ggml_kquants_q6q8.cc
void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t n);
void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n);
void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t n, const float* importance);
// Without importance Q8_K is plain RTN with d = amax / 127 (an f32), q in -127..127, and
// bsums filled: the activation side of K-quant dot products.
void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n, const float* importance);

}  // namespace mixq
