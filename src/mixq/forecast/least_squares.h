// Small dense bounded ridge least squares for calibration (a handful of unknowns):
//   minimise ||A x - b||^2 + sum_j ridge_j (x_j - prior_j)^2   subject to lower <= x <= upper.
// Solved by normal equations with partial pivoting, clamping violated bounds and re-solving
// the rest (an active-set pass; exact when at most a few bounds bind, as here).
#pragma once

#include <vector>

namespace mixq::forecast {

struct BoundedRidgeProblem {
  std::vector<std::vector<double>> a;  // rows x unknowns
  std::vector<double> b;               // rows
  std::vector<double> prior, ridge, lower, upper;  // unknowns
};

std::vector<double> SolveBoundedRidge(const BoundedRidgeProblem& p);

// Solves the square system m x = rhs in place (Gaussian elimination, partial pivoting).
// Returns false when a pivot vanishes (singular system).
bool SolveLinearSystem(std::vector<std::vector<double>> m, std::vector<double> rhs, std::vector<double>* x);

}  // namespace mixq::forecast
