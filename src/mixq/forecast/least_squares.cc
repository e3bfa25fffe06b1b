#include "mixq/forecast/least_squares.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mixq/base/status.h"

namespace mixq::forecast {

bool SolveLinearSystem(std::vector<std::vector<double>> m, std::vector<double> rhs, std::vector<double>* x) {
  const size_t n = rhs.size();
  double scale = 0;
  for (const auto& row : m)
    for (double v : row) scale = std::max(scale, std::fabs(v));
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    if (!(std::fabs(m[pivot][col]) > 1e-14 * scale)) return false;
    std::swap(m[col], m[pivot]);
    std::swap(rhs[col], rhs[pivot]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = m[r][col] / m[col][col];
      for (size_t c = col; c < n; ++c) m[r][c] -= f * m[col][c];
      rhs[r] -= f * rhs[col];
    }
  }
  x->assign(n, 0.0);
  for (size_t i = n; i-- > 0;) {
    double s = rhs[i];
    for (size_t c = i + 1; c < n; ++c) s -= m[i][c] * (*x)[c];
    (*x)[i] = s / m[i][i];
  }
  return true;
}

std::vector<double> SolveBoundedRidge(const BoundedRidgeProblem& p) {
  const size_t n = p.prior.size();
  MIXQ_CHECK(p.ridge.size() == n && p.lower.size() == n && p.upper.size() == n && p.a.size() == p.b.size());
  std::vector<double> x = p.prior;
  std::vector<bool> fixed(n, false);
  for (size_t round = 0; round <= n; ++round) {
    std::vector<size_t> free;
    for (size_t j = 0; j < n; ++j)
      if (!fixed[j]) free.push_back(j);
    if (free.empty()) break;
    const size_t k = free.size();
    std::vector<std::vector<double>> m(k, std::vector<double>(k, 0.0));
    std::vector<double> rhs(k, 0.0);
    for (size_t r = 0; r < p.a.size(); ++r) {
      double target = p.b[r];  // fixed unknowns move to the right-hand side
      for (size_t j = 0; j < n; ++j)
        if (fixed[j]) target -= p.a[r][j] * x[j];
      for (size_t u = 0; u < k; ++u) {
        rhs[u] += p.a[r][free[u]] * target;
        for (size_t v = 0; v < k; ++v) m[u][v] += p.a[r][free[u]] * p.a[r][free[v]];
      }
    }
    for (size_t u = 0; u < k; ++u) {
      m[u][u] += p.ridge[free[u]];
      rhs[u] += p.ridge[free[u]] * p.prior[free[u]];
    }
    // Symmetric diagonal scaling: the unknowns differ by orders of magnitude (inverse
    // efficiencies ~1, overheads ~1e-6 s), so pivots are judged on the scaled system.
    std::vector<double> d(k);
    for (size_t u = 0; u < k; ++u) d[u] = m[u][u] > 0 ? 1.0 / std::sqrt(m[u][u]) : 1.0;
    for (size_t u = 0; u < k; ++u) {
      rhs[u] *= d[u];
      for (size_t v = 0; v < k; ++v) m[u][v] *= d[u] * d[v];
    }
    std::vector<double> solution;
    if (!SolveLinearSystem(m, rhs, &solution)) break;  // keep the current values
    for (size_t u = 0; u < k; ++u) solution[u] *= d[u];
    bool violated = false;
    for (size_t u = 0; u < k; ++u) {
      const size_t j = free[u];
      x[j] = solution[u];
      if (x[j] < p.lower[j] || x[j] > p.upper[j]) {
        x[j] = std::clamp(x[j], p.lower[j], p.upper[j]);
        fixed[j] = true;
        violated = true;
      }
    }
    if (!violated) break;
  }
  return x;
}

}  // namespace mixq::forecast
