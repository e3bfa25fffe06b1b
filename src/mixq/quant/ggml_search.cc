#include "mixq/quant/ggml_search.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "mixq/base/half.h"

namespace mixq::ggml {
namespace {

// Candidates map the block's extreme onto one of the outermost levels at either end of the
// grid (exactly: so values already on a grid, such as a dequantized block, find that grid
// again), or onto the end stretched by f steps: f < 0 leaves headroom, f > 0 clips the
// extreme to give the bulk a finer step. Least squares then refines each candidate's scale
// for its rounding.
constexpr int kExactLevels = 3;
constexpr float kSymmetricSteps[] = {-0.5f, -0.25f, 0.25f, 0.5f, 0.75f, 1.0f, 1.5f, 2.0f};
// The scale+min search spreads the block's range [lo, hi] over qmax + f steps, f = 0 first.
constexpr float kScaleMinSteps[] = {0.0f, -1.0f, -0.5f, 0.5f, 1.0f, 1.5f, 2.0f};
// A refined scale may not clip either end of the block by more than this many steps (the
// step at that end of the grid); otherwise the unrefined candidate is kept. This bounds the
// error of every element, including outliers that carry little weight.
constexpr float kMaxClipSteps = 3.0f;

// Below this a block is treated as constant: its scale would underflow even f32, let alone
// the f16 it is stored in.
constexpr float kTiny = 1e-30f;

inline float Weight(const float* w, int i) { return w != nullptr ? w[i] : 1.0f; }

// Error of x ~ d * level(q) with q the nearest level to x / d (written to q); also the sums
// of the least-squares scale for that rounding, d* = sum w x L / sum w L^2. (The search
// multiplies by 1 / d; the final rounding, RoundToGrid, divides.)
struct SymmetricEval {
  double err = 0, sxl = 0, sll = 0;
};
SymmetricEval EvalSymmetric(const Grid& grid, const float* x, const float* w, int n, float d, uint8_t* q) {
  SymmetricEval r;
  const float inv = 1.0f / d;
  for (int i = 0; i < n; ++i) {
    q[i] = static_cast<uint8_t>(grid.Nearest(x[i] * inv));
    const float level = grid.Level(q[i]);
    const double e = x[i] - d * level, wi = Weight(w, i);
    r.err += wi * e * e;
    r.sxl += wi * x[i] * level;
    r.sll += wi * static_cast<double>(level) * level;
  }
  return r;
}

// The step between the two outermost levels at the low / high end of the grid.
float LowGap(const Grid& g) { return g.Level(1) - g.Level(0); }
float HighGap(const Grid& g) { return g.Level(g.size() - 1) - g.Level(g.size() - 2); }

// True when the grid scaled by d clips neither xmin nor xmax by more than kMaxClipSteps.
bool SymmetricClipOk(const Grid& g, float d, float xmin, float xmax) {
  const float a = d * g.Level(0), b = d * g.Level(g.size() - 1);
  const float lower = std::min(a, b), upper = std::max(a, b);
  const float gap_lower = std::fabs(d) * (d > 0 ? LowGap(g) : HighGap(g));
  const float gap_upper = std::fabs(d) * (d > 0 ? HighGap(g) : LowGap(g));
  return xmin >= lower - kMaxClipSteps * gap_lower && xmax <= upper + kMaxClipSteps * gap_upper;
}

// Levels on the side of zero that `end` (an outermost level) lies on.
int LevelsOnSide(const Grid& g, float end) {
  int count = 0;
  for (int k = 0; k < g.size(); ++k)
    if ((end < 0 && g.Level(k) < 0) || (end > 0 && g.Level(k) > 0)) ++count;
  return count;
}

double EvalScaleMin(int qmax, const float* x, const float* w, int n, float s, float b, uint8_t* q) {
  double err = 0;
  const float inv = 1.0f / s;
  for (int i = 0; i < n; ++i) {
    const float t = std::clamp((x[i] - b) * inv, 0.0f, static_cast<float>(qmax));
    q[i] = static_cast<uint8_t>(Grid::RoundHalfEven(t));
    const double e = x[i] - (s * q[i] + b);
    err += Weight(w, i) * e * e;
  }
  return err;
}

// Weighted least squares of x ~ b + s * q for fixed q; false when q is constant.
bool FitScaleMin(const float* x, const float* w, const uint8_t* q, int n, bool min_le_zero, float* s, float* b) {
  double sw = 0, sq = 0, sqq = 0, sx = 0, sxq = 0;
  for (int i = 0; i < n; ++i) {
    const double wi = Weight(w, i);
    sw += wi;
    sq += wi * q[i];
    sqq += wi * q[i] * q[i];
    sx += wi * x[i];
    sxq += wi * x[i] * q[i];
  }
  const double det = sw * sqq - sq * sq;
  if (!(det > 1e-12 * sw * sqq)) return false;
  double fs = (sw * sxq - sq * sx) / det;
  double fb = (sqq * sx - sq * sxq) / det;
  if (min_le_zero && fb > 0) {
    fb = 0;
    fs = sxq / sqq;
  }
  if (!(fs > 0)) return false;
  *s = static_cast<float>(fs);
  *b = static_cast<float>(fb);
  return std::isfinite(*s) && std::isfinite(*b);
}

}  // namespace

float SearchScale(const Grid& grid, const float* x, const float* w, int n, uint8_t* q) {
  int imax = 0;
  float xmin = x[0], xmax = x[0];
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(x[imax])) imax = i;
    xmin = std::min(xmin, x[i]);
    xmax = std::max(xmax, x[i]);
  }
  if (!(std::fabs(x[imax]) >= kTiny)) {
    std::fill(q, q + n, static_cast<uint8_t>(grid.Nearest(0.0f)));
    return 0.0f;
  }
  uint8_t trial[256];
  double best_err = std::numeric_limits<double>::infinity();
  float best_d = 0;
  // The level values the block's extreme is mapped onto: per end of the grid, its outermost
  // kExactLevels levels, then the end stretched by the fractional steps.
  float targets[2 * (kExactLevels + std::size(kSymmetricSteps))];
  int n_targets = 0;
  for (const int end_index : {0, grid.size() - 1}) {
    const float end = grid.Level(end_index);
    if (end == 0) continue;
    const int inward = end_index == 0 ? 1 : -1;
    for (int k = 0; k < kExactLevels; ++k) {
      const float level = grid.Level(end_index + inward * k);
      if (level == 0 || (level < 0) != (end < 0)) break;
      targets[n_targets++] = level;
    }
    const float side_levels = static_cast<float>(LevelsOnSide(grid, end));
    for (const float f : kSymmetricSteps) targets[n_targets++] = end * (1.0f + f / side_levels);
  }
  for (int t = 0; t < n_targets; ++t) {
    const float d = x[imax] / targets[t];
    const SymmetricEval candidate = EvalSymmetric(grid, x, w, n, d, trial);
    if (candidate.err < best_err) {
      best_err = candidate.err;
      best_d = d;
      std::copy(trial, trial + n, q);
    }
    if (!(candidate.sll > 0)) continue;
    const float refined = static_cast<float>(candidate.sxl / candidate.sll);
    if (refined == d || refined == 0 || !std::isfinite(refined) || !SymmetricClipOk(grid, refined, xmin, xmax))
      continue;
    const double err = EvalSymmetric(grid, x, w, n, refined, trial).err;
    if (err < best_err) {
      best_err = err;
      best_d = refined;
      std::copy(trial, trial + n, q);
    }
  }
  return best_d;
}

void RoundToGrid(const Grid& grid, float d, const float* x, int n, uint8_t* q) {
  if (d == 0) {
    std::fill(q, q + n, static_cast<uint8_t>(grid.Nearest(0.0f)));
    return;
  }
  for (int i = 0; i < n; ++i) q[i] = static_cast<uint8_t>(grid.Nearest(x[i] / d));
}

void SearchScaleMin(int qmax, bool min_le_zero, const float* x, const float* w, int n, float* s, float* b,
                    uint8_t* q) {
  float lo = *std::min_element(x, x + n);
  const float hi = *std::max_element(x, x + n);
  if (min_le_zero) lo = std::min(lo, 0.0f);
  if (!(hi - lo >= kTiny)) {  // constant block: all of it in the offset
    *s = 0;
    *b = lo;
    std::fill(q, q + n, uint8_t{0});
    return;
  }
  uint8_t trial[256];
  double best_err = std::numeric_limits<double>::infinity();
  for (const float f : kScaleMinSteps) {
    float cs = (hi - lo) / (static_cast<float>(qmax) + f), cb = lo;
    double err = EvalScaleMin(qmax, x, w, n, cs, cb, trial);
    if (err < best_err) {
      best_err = err;
      *s = cs;
      *b = cb;
      std::copy(trial, trial + n, q);
    }
    if (!FitScaleMin(x, w, trial, n, min_le_zero, &cs, &cb)) continue;
    const float clip = kMaxClipSteps * cs;
    if (lo < cb - clip || hi > cb + cs * static_cast<float>(qmax) + clip) continue;
    err = EvalScaleMin(qmax, x, w, n, cs, cb, trial);
    if (err < best_err) {
      best_err = err;
      *s = cs;
      *b = cb;
      std::copy(trial, trial + n, q);
    }
  }
}

double WeightedSquaredError(const float* a, const float* b, const float* w, int64_t n) {
  double err = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = static_cast<double>(a[i]) - b[i];
    err += (w != nullptr ? w[i] : 1.0) * e * e;
  }
  return err;
}

uint16_t ToF16Clamped(float v) {
  constexpr float kF16Max = 65504.0f;
  if (std::isnan(v)) return 0;
  return FloatToF16(std::clamp(v, -kF16Max, kF16Max));
}

float RoundToF16(float v) { return F16ToFloat(ToF16Clamped(v)); }

const float* BlockWeights(const float* importance, int64_t offset, int n, float* scratch) {
  if (importance == nullptr) return nullptr;
  const float* w = importance + offset;
  for (int i = 0; i < n; ++i)
    if (w[i] > 0) return w;
  std::fill(scratch, scratch + n, 1.0f);
  return scratch;
}

}  // namespace mixq::ggml
