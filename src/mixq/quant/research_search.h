// Importance-weighted parameter search shared by the research formats (research_int.cc,
// research_fp8.cc, research_fp4.cc). Every format quantizes one group x{n} with weights w{n}
// and keeps the parameters that minimise the weighted squared error
//     E = sum_i w_i * (x_i - deq_i)^2
// evaluated with the parameters exactly as stored (f16 / E4M3 / E8M0 rounded), so the error
// a search reports is the error the file will have. The reference RTN candidate is always
// among those tried, so a search is never worse than RTN on its own objective.
#pragma once

#include <cstdint>

namespace mixq::research {

// The weights of one group of n elements starting at src offset `offset`: `importance` itself
// when given and not all zero in the group, else unit weights written to scratch{n}. (A group
// that the calibration text never activated carries no information; unit weights then keep
// the plain error low.)
const float* GroupWeights(const float* importance, int64_t offset, int64_t n, float* scratch);

// Round to nearest, ties to even, for |t| < 2^22: adding and removing 1.5 * 2^23 leaves the
// rounded value (the FPU's default mode). Much faster than std::nearbyint, which is a libm call
// on baseline x86-64; callers clamp t to their code range first.
inline float RoundHalfEven(float t) { return (t + 12582912.0f) - 12582912.0f; }

// sum_i w_i * (a_i - b_i)^2 in double precision; w == nullptr means unit weights.
double WeightedSquaredError(const float* a, const float* b, const float* w, int64_t n);

// argmin_d sum_i w_i * (x_i - d * v_i)^2 = sum w x v / sum w v^2; 0 when sum w v^2 == 0.
float FitScale(const float* x, const float* v, const float* w, int64_t n);

// argmin_{d,m} sum_i w_i * (x_i - d * u_i - m)^2 (weighted linear regression of x on u).
// Returns false, leaving d and m alone, when the u are all equal where w > 0.
bool FitScaleOffset(const float* x, const float* u, const float* w, int64_t n, float* d, float* m);

// f16 bit patterns for a finite float, its magnitude clamped to the largest finite f16
// (65504) so a scale is never stored as Inf: the nearest value, the smallest value >= v, and
// the largest value <= v (directed rounding keeps RTN's error bound at half a step).
uint16_t F16Nearest(float v);
uint16_t F16AtLeast(float v);
uint16_t F16AtMost(float v);

}  // namespace mixq::research
