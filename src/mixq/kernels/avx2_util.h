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

// Lane i = exact dot of signed bytes 4i..4i+3 of w and x: |w| times x with w's sign (maddubs
// takes one unsigned operand; |w| <= 128 and |x| <= 127 cannot saturate the int16 pairs).
inline __m256i DotSigned4(__m256i w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

}  // namespace
}  // namespace mixq::kernels
