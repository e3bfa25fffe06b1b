// Evaluating many passes of the same shape quickly (internal to the forecast module).
//
// For a fixed number of new tokens, every count of a pass is affine in `past`, the number of
// tokens already cached: only attention FLOPs, score traffic and KV reads depend on it, and
// linearly (ops.h). So two op lists, at past = 0 and past = 1, give every other pass exactly,
// and a generation of thousands of decode steps is summed step by step without rebuilding.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/ops.h"
#include "mixq/forecast/roofline.h"

namespace mixq::forecast {

// Sums pass results into per-operator rows and time terms.
class PhaseAccumulator {
 public:
  explicit PhaseAccumulator(const Device& device) : device_(device) {}
  // Row index of each op (rows are created in first-seen order).
  std::vector<int> RowsFor(const std::vector<Op>& ops);
  void Add(int row, const Op& op, const OpTiming& timing, double peak, double bandwidth);
  void AddPass(double seconds, const std::string& memory_level);
  // Sums divided by `divisor` (1 for totals, the step count for means).
  PhaseResult Finish(double divisor) const;

 private:
  const Device& device_;
  std::map<std::string, int> row_of_group_;
  PhaseResult result_;
};

class PassModel {
 public:
  PassModel(const ModelSpec& model, const Device& device, PassShape shape, PhaseAccumulator* acc);
  // Evaluates the pass with `past` cached tokens, adds it to the accumulator, returns seconds.
  double Run(int64_t past);

 private:
  const Device& device_;
  PhaseAccumulator* acc_;
  int64_t tokens_ = 0;
  std::vector<Op> base_;   // counts at past = 0
  std::vector<Op> slope_;  // counts per cached token
  std::vector<Op> scratch_;
  std::vector<double> peak_;  // ops/s per op, looked up once
  std::vector<int> rows_;
  double weight_bytes_ = 0;      // weights touched by one pass
  double kv_bytes_per_pos_ = 0;  // KV cache bytes per cached position (all layers, sequences)
};

}  // namespace mixq::forecast
