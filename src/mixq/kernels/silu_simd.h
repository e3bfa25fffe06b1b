// SiLU times up for the SIMD kernels, shared by kernels_avx2.cc and kernels_avx512.cc.
// Include it ONLY from an ISA file: it opens an anonymous namespace so that each ISA file gets
// its own copy compiled with its own flags. The ISA file supplies the two lane operations the
// arithmetic operators of GCC's vector types do not give (+ - * / and a float operand
// broadcast to every lane are the vector extension's, each one IEEE operation per lane):
//   struct Lanes { using Vec = __m256 or __m512;
//                  static Vec Fma(Vec a, Vec b, Vec c);   // a * b + c, rounded once
//                  static Vec TimesPow2(Vec p, Vec k); }; // p * 2^k, k integral in [-116, 128],
//                                                         // rounded once (inf past FLT_MAX)
//
// The specification (kernels_ref.cc) is gate = g / (1 + expf(-g)) * up. Only exp differs here;
// the add, divide and multiply are the same IEEE operations in the same order. exp(x):
//   x clamped to [-80, 89]: below -80, 1 + exp(x) rounds to 1 as it does for libm's tiny or
//     zero results (down to x = -inf); above 89, exp(x) is inf as libm's is past 88.7228
//     (up to x = +inf). A NaN g gives NaN through the divide, whatever exp made of it.
//   k = round(x log2 e), r = x - k ln2 with ln2 = kLn2Hi + kLn2Lo: |r| <= 0.3466.
//   e^r = sum_{j<=7} r^j / j! (Taylor, Horner with FMAs), exp(x) = e^r 2^k.
// Relative error of exp, u = 2^-24:
//   truncation        e^|r| r^8 / 8!                         <= 7.3e-9  = 0.13u
//   coefficients      sum_{j>=2} |r|^j / j! * u / e^r        <= 0.1u    (1/j! rounded to f32)
//   Horner roundings  u per FMA, damped by |r| per later step <= 1.7u
//   reduction         x - k kLn2Hi is exact (one FMA; a multiple of 2^-24 below 1 in magnitude,
//                     or of 2^-25 below 1/2 when |x| < 1/2: 24 bits either way); adding
//                     -k kLn2Lo rounds once, <= u |r| <= 0.35u; k |ln2 - hi - lo| < 2e-14
//   scaling           exact (2^k times a normal number, no underflow above x = -80)
//   total             <= 2.3u, stated as 2.5u (a sweep of x over [-80, 88.72] measured 1.32u).
// silu(g) up then has relative error <= 2.5u (through 1 + e, damped by e / (1 + e) <= 1) + u (add)
// + u (divide) + u (multiply) = 5.5u against the exact value; the specification's own is
// <= 4.004u with glibc's expf (<= 0.502 ulp), so the two differ by <= 9.5u relative
// (tests/kernels/silu_test.cc asserts it). Nothing cancels, so the bound is relative to the
// result itself, down to where the product underflows.
#pragma once

namespace mixq::kernels {
namespace {

template <typename Vec>
inline Vec Splat(float c) { return Vec{} + c; }

template <typename Lanes>
inline typename Lanes::Vec ExpForSilu(typename Lanes::Vec x) {
  using Vec = typename Lanes::Vec;
  constexpr float kLog2e = 0x1.715476p+0f;   // log2(e) rounded to f32
  constexpr float kLn2Hi = 0x1.62e430p-1f;   // ln2 rounded to f32
  constexpr float kLn2Lo = -0x1.05c610p-29f;  // ln2 - kLn2Hi rounded to f32
  constexpr float kRoundShift = 0x1.8p23f;    // t + 1.5 * 2^23 - 1.5 * 2^23 = round(t), |t| < 2^22
  constexpr float kInvFactorial[] = {1.0f, 1.0f, 1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
  x = x < 89.0f ? x : Splat<Vec>(89.0f);  // a NaN x becomes 89: harmless, see above
  x = x > -80.0f ? x : Splat<Vec>(-80.0f);
  const Vec k = (x * kLog2e + kRoundShift) - kRoundShift;
  const Vec r = Lanes::Fma(k, Splat<Vec>(-kLn2Lo), Lanes::Fma(k, Splat<Vec>(-kLn2Hi), x));
  Vec p = Splat<Vec>(kInvFactorial[7]);
  for (int j = 6; j >= 0; --j) p = Lanes::Fma(p, r, Splat<Vec>(kInvFactorial[j]));
  return Lanes::TimesPow2(p, k);
}

// One vector of gate = g / (1 + exp(-g)) * up.
template <typename Lanes>
inline typename Lanes::Vec SiluTimes(typename Lanes::Vec g, typename Lanes::Vec up) {
  return g / (1.0f + ExpForSilu<Lanes>(-g)) * up;
}

}  // namespace
}  // namespace mixq::kernels
