// Reference codecs: the specification of every quantized weight type. A codec converts rows
// of n elements (n a multiple of the type's block size) between f32 and the type's blocks.
// SIMD kernels (src/mixq/kernels) are tested against these.
#pragma once

#include <cstdint>
#include <vector>

#include "mixq/tensor/dtype.h"

namespace mixq {

struct QuantCodec {
  DType type;
  // dst{n} = the values that src's n / block_size blocks represent.
  void (*dequantize_row)(const void* src, float* dst, int64_t n);
  // Quantizes src{n} into n / block_size blocks at dst. `importance` is null for plain
  // round-to-nearest, or {n} non-negative weights: the parameter search then minimises
  // sum_i importance[i] * (src[i] - dequantized[i])^2 (importance-weighted quantization; the
  // weights are typically the per-input-channel activation energy, diag(X^T X)).
  void (*quantize_row)(const float* src, void* dst, int64_t n, const float* importance);
};

// The codec of a type; nullptr for plain types (f32/f16/bf16) and unknown ones.
const QuantCodec* FindQuantCodec(DType type);
// Every registered codec (for tests that sweep all types).
std::vector<const QuantCodec*> AllQuantCodecs();

// Codec tables of each family, concatenated by the registry (codec.cc).
struct QuantCodecList {
  const QuantCodec* codecs;
  int count;
};
QuantCodecList GgmlQuantCodecs();      // ggml_codecs.cc: ggml-compatible block types
QuantCodecList ResearchQuantCodecs();  // research_codecs.cc: group-wise INT, FP8, MXFP4, NVFP4

}  // namespace mixq
