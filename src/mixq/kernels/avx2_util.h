// Helpers for files compiled with AVX2 flags only (*_avx2.cc). Everything is in an anonymous
// namespace: each including file gets its own copy, compiled with its own flags, so the linker
// can never hand one ISA's instance to another.
#pragma once

#include <immintrin.h>

namespace mixq::kernels {
namespace {

// Sum of the 8 lanes, in a fixed order.
inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace
}  // namespace mixq::kernels
