// The roofline time of one operator on a device (LIFE-style):
//   t = max(flops / (peak[compute type] * eff_compute[class]),
//           bytes / (bandwidth * eff_memory[class]))
//       + reread_bytes / (bandwidth of the level holding the matrix * eff_memory[class])
//       + outputs * per_output + act_elements * per_act      (a weight type's kernel costs)
//       + launches * overhead_per_op
// and the linear "terms" behind it, which calibration fits: with every operator's binding
// side fixed, a pass's time is linear in 1/efficiency and in the overheads.
#pragma once

#include <array>
#include <map>
#include <string>

#include "mixq/forecast/device.h"
#include "mixq/forecast/ops.h"

namespace mixq::forecast {

struct OpTiming {
  double t_compute = 0;   // seconds at the achievable compute rate
  double t_memory = 0;    // seconds at the achievable bandwidth
  double t_reread = 0;    // weights streamed again by later token blocks (ExecutionSpec::token_block)
  double reread_unit_s = 0;  // the same at memory efficiency 1 (the calibration term)
  double t_fixed = 0;     // the weight type's per-output and per-activation kernel costs
  double t_overhead = 0;  // launches x per-op overhead
  double time = 0;        // max(t_compute, t_memory) + t_reread + t_fixed + t_overhead
  bool compute_bound() const { return t_compute > t_memory; }
};

// `bandwidth` (bytes/s) is the memory level serving the pass (see ChooseMemoryLevel).
OpTiming TimeOp(const Op& op, const Device& device, double bandwidth);
// The same with the op's peak (ops/s) already looked up: the forecast's inner loop.
OpTiming TimeOpAtPeak(const Op& op, double peak, const Device& device, double bandwidth);

// The memory serving a pass's working set W (weights touched + KV cache): `name` is the
// smallest cache that holds it, else "DRAM"; `bandwidth` blends the levels by the share of W
// each keeps (partial residency: a cache of capacity C < W keeps C / W of it), which is exactly
// the cache's bandwidth when W fits and tends to main memory's as W grows.
struct MemoryChoice {
  std::string name;
  double bandwidth = 0;  // bytes/s
};
MemoryChoice ChooseMemoryLevel(const Device& device, double working_set_bytes);

// Time decomposed into terms linear in the inverse efficiencies and the overheads:
//   time = sum_c compute_s[c] / eff[c].compute + memory_s[c] / eff[c].memory
//          + launches * overhead_per_op + passes * overhead_per_pass
struct TimeTerms {
  std::array<double, kNumOpClasses> compute_s{};  // flops / peak of compute-bound ops
  std::array<double, kNumOpClasses> memory_s{};   // bytes / bandwidth of memory-bound ops
  // Ops with their own factor set (Device::FactorKey: a matmul weight type, decode attention),
  // by key: {compute_s, memory_s, outputs, act_elements}; these are not in the class arrays.
  // time += compute_s / eff.compute + memory_s / eff.memory + outputs x per_output + act_elements x per_act
  std::map<std::string, std::array<double, 4>> keyed_s;
  double launches = 0;
  double passes = 0;

  // `key`: Device::FactorKey(op) ("" for class factors).
  void AddOp(const Op& op, const OpTiming& timing, double peak, double bandwidth, const std::string& key = "");
  void Add(const TimeTerms& other, double scale = 1.0);
  // The time these terms give with `device`'s efficiencies and overheads.
  double Seconds(const Device& device) const;
};

}  // namespace mixq::forecast
