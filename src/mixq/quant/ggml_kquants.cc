#include "mixq/quant/ggml_kquants.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mixq/base/half.h"
#include "mixq/quant/blocks.h"
#include "mixq/quant/ggml_search.h"

namespace mixq::ggml {
namespace {

inline float Weight(const float* w, int i) { return w != nullptr ? w[i] : 1.0f; }

// Error of one scale+min sub-block for stored integer parameters, with the dequantizer's
// arithmetic: y = (d * sc) * q - dmin * m. Writes the nearest q when q != null.
double ScaleMinSubError(const float* x, const float* w, int n, int qmax, float d, float dmin, int sc, int m,
                        uint8_t* q) {
  const float scale = d * static_cast<float>(sc), min = dmin * static_cast<float>(m);
  double err = 0;
  for (int i = 0; i < n; ++i) {
    const float t = scale != 0 ? (x[i] + min) / scale : 0.0f;
    const int qi = Grid::RoundHalfEven(std::clamp(t, 0.0f, static_cast<float>(qmax)));
    if (q != nullptr) q[i] = static_cast<uint8_t>(qi);
    const double e = x[i] - (scale * static_cast<float>(qi) - min);
    err += Weight(w, i) * e * e;
  }
  return err;
}

// The same for a scale-only sub-block: y = (d * sc) * q.
double ScaleSubError(const float* x, const float* w, int n, int q_lo, int q_hi, float d, int sc, int8_t* q) {
  const float scale = d * static_cast<float>(sc);
  double err = 0;
  for (int i = 0; i < n; ++i) {
    const float t = scale != 0 ? x[i] / scale : 0.0f;
    const int qi = Grid::RoundHalfEven(std::clamp(t, static_cast<float>(q_lo), static_cast<float>(q_hi)));
    if (q != nullptr) q[i] = static_cast<int8_t>(qi);
    const double e = x[i] - scale * static_cast<float>(qi);
    err += Weight(w, i) * e * e;
  }
  return err;
}

// Super-block scale for the sub-block values v{n} >= 0 (or signed, per grid) under weights;
// writes the grid indices against the f16-rounded scale, which it returns.
float QuantizeSubParams(const Grid& grid, const float* v, const float* weights, int n, uint8_t* index) {
  const float d = RoundToF16(SearchScale(grid, v, weights, n, index));
  RoundToGrid(grid, d, v, n, index);
  return d;
}

}  // namespace

void QuantizeScaleMinSuperBlock(const ScaleMinShape& shape, const float* x, const float* w, ScaleMinSuperBlock* out) {
  const int ss = shape.sub_size, n_sub = kQK_K / ss;
  float scales[16], mins[16], scale_w[16], min_w[16];
  uint8_t q[kQK_K];
  for (int j = 0; j < n_sub; ++j) {
    const float* xj = x + j * ss;
    const float* wj = w != nullptr ? w + j * ss : nullptr;
    float b = 0;
    SearchScaleMin(shape.qmax, /*min_le_zero=*/true, xj, wj, ss, &scales[j], &b, q + j * ss);
    mins[j] = -b;
    scale_w[j] = min_w[j] = 0;
    for (int i = 0; i < ss; ++i) {
      const float qi = q[j * ss + i];
      scale_w[j] += Weight(wj, i) * qi * qi;
      min_w[j] += Weight(wj, i);
    }
  }
  const Grid grid = Grid::Int(0, shape.scale_max);
  const float d = QuantizeSubParams(grid, scales, scale_w, n_sub, out->sc);
  const float dmin = QuantizeSubParams(grid, mins, min_w, n_sub, out->m);
  out->d = FloatToF16(d);
  out->dmin = FloatToF16(dmin);
  for (int j = 0; j < n_sub; ++j) {
    const float* xj = x + j * ss;
    const float* wj = w != nullptr ? w + j * ss : nullptr;
    int best_sc = out->sc[j], best_m = out->m[j];
    double best = ScaleMinSubError(xj, wj, ss, shape.qmax, d, dmin, best_sc, best_m, nullptr);
    for (int sc = std::max(0, out->sc[j] - 1); sc <= std::min(shape.scale_max, out->sc[j] + 1); ++sc) {
      for (int m = std::max(0, out->m[j] - 1); m <= std::min(shape.scale_max, out->m[j] + 1); ++m) {
        const double err = ScaleMinSubError(xj, wj, ss, shape.qmax, d, dmin, sc, m, nullptr);
        if (err < best) {
          best = err;
          best_sc = sc;
          best_m = m;
        }
      }
    }
    out->sc[j] = static_cast<uint8_t>(best_sc);
    out->m[j] = static_cast<uint8_t>(best_m);
    ScaleMinSubError(xj, wj, ss, shape.qmax, d, dmin, best_sc, best_m, out->q + j * ss);
  }
}

void QuantizeScaleSuperBlock(const ScaleShape& shape, const float* x, const float* w, ScaleSuperBlock* out) {
  const int ss = shape.sub_size, n_sub = kQK_K / ss;
  const Grid q_grid = Grid::Int(shape.q_lo, shape.q_hi);
  float scales[16], scale_w[16];
  uint8_t q[kQK_K];
  for (int j = 0; j < n_sub; ++j) {
    const float* wj = w != nullptr ? w + j * ss : nullptr;
    scales[j] = SearchScale(q_grid, x + j * ss, wj, ss, q + j * ss);
    scale_w[j] = 0;
    for (int i = 0; i < ss; ++i) {
      const float level = q_grid.Level(q[j * ss + i]);
      scale_w[j] += Weight(wj, i) * level * level;
    }
  }
  uint8_t sc_index[16];
  const float d = QuantizeSubParams(Grid::Int(shape.scale_lo, shape.scale_hi), scales, scale_w, n_sub, sc_index);
  out->d = FloatToF16(d);
  for (int j = 0; j < n_sub; ++j) {
    const float* xj = x + j * ss;
    const float* wj = w != nullptr ? w + j * ss : nullptr;
    const int sc0 = sc_index[j] + shape.scale_lo;
    int best_sc = sc0;
    double best = ScaleSubError(xj, wj, ss, shape.q_lo, shape.q_hi, d, sc0, nullptr);
    for (int sc = std::max(shape.scale_lo, sc0 - 1); sc <= std::min(shape.scale_hi, sc0 + 1); ++sc) {
      const double err = ScaleSubError(xj, wj, ss, shape.q_lo, shape.q_hi, d, sc, nullptr);
      if (err < best) {
        best = err;
        best_sc = sc;
      }
    }
    out->sc[j] = static_cast<int8_t>(best_sc);
    ScaleSubError(xj, wj, ss, shape.q_lo, shape.q_hi, d, best_sc, out->q + j * ss);
  }
}

}  // namespace mixq::ggml
