// Helpers for files compiled with AVX2 flags only (*_avx2.cc). Everything is in an anonymous
// namespace: each including file gets its own copy, compiled with its own flags, so the linker
// can never hand one ISA's instance to another.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

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

// The first `valid` (<= 16) outputs of a packed row group: rows 0..7 in lo, rows 8..15 in hi.
inline void StoreRowGroup(__m256 lo, __m256 hi, float* y, int valid) {
  float out[16];
  _mm256_storeu_ps(out, lo);
  _mm256_storeu_ps(out + 8, hi);
  std::memcpy(y, out, static_cast<size_t>(valid) * sizeof(float));
}

// The 4 activation codes at x broadcast to every int32 lane.
inline __m256i Broadcast4(const int8_t* x) {
  int32_t v;
  std::memcpy(&v, x, 4);
  return _mm256_set1_epi32(v);
}

// Sets the high bit (bit_value: 0x10 for the 5-bit types, 0x04 for Q3_K) of the codes of rows
// 8h..8h+7 from a packed bit plane (packed.h): `masks` is the plane plus 4h, so the 32-bit word
// at masks + 8k holds bit 4r+i = the high bit of row 8h+r's element 4k+i. Each bit is spread to
// its byte (byte j takes byte j/8 of the word, keeps bit j%8), compared into 0xFF, masked to
// bit_value and or-ed in (the bit is clear in the lower bits' codes).
inline void AddHighBits(const uint8_t* masks, __m256i w[8], int bit_value = 0x10) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
    int32_t word;
    std::memcpy(&word, masks + 8 * k, 4);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(word), spread);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
    w[k] = _mm256_or_si256(w[k], _mm256_and_si256(set, _mm256_set1_epi8(static_cast<char>(bit_value))));
  }
}

}  // namespace
}  // namespace mixq::kernels
