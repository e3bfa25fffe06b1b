#include "mixq/forecast/roofline.h"

#include <algorithm>

namespace mixq::forecast {

OpTiming TimeOp(const Op& op, const Device& device, double bandwidth) {
  return TimeOpAtPeak(op, op.flops > 0 ? device.PeakFor(op) : 1.0, device, bandwidth);
}

OpTiming TimeOpAtPeak(const Op& op, double peak, const Device& device, double bandwidth) {
  const Efficiency& eff = device.EfficiencyFor(op);
  OpTiming t;
  if (op.flops > 0) t.t_compute = op.flops / (peak * eff.compute);
  if (op.bytes() > 0) t.t_memory = op.bytes() / (bandwidth * eff.memory);
  if (op.reread_bytes > 0) {
    t.reread_unit_s = op.reread_bytes / ChooseMemoryLevel(device, op.weight_bytes).bandwidth;
    t.t_reread = t.reread_unit_s / eff.memory;
  }
  t.t_fixed = op.outputs * eff.per_output + op.act_elements * eff.per_act;
  t.t_overhead = op.launches * device.overhead_per_op;
  t.time = std::max(t.t_compute, t.t_memory) + t.t_reread + t.t_fixed + t.t_overhead;
  return t;
}

MemoryChoice ChooseMemoryLevel(const Device& device, double working_set_bytes) {
  // Partial residency: a cache of capacity C keeps min(1, C / W) of a working set W that is
  // streamed every pass (adaptive replacement keeps a subset, it does not thrash to zero), so
  // level i serves min(1, C_i / W) - min(1, C_{i-1} / W) of the bytes and main memory the rest;
  // the bandwidth is the harmonic blend. A working set that fits a level is served by it alone.
  MemoryChoice choice{"DRAM", 0};
  double seconds_per_byte = 0, served = 0;
  for (const MemoryLevel& level : device.caches) {
    const double held = working_set_bytes <= level.capacity_bytes ? 1.0 : level.capacity_bytes / working_set_bytes;
    seconds_per_byte += (held - served) / level.bandwidth;
    served = held;
    if (held >= 1.0) {
      choice.name = level.name;
      break;
    }
  }
  seconds_per_byte += (1.0 - served) / device.memory_bandwidth;
  choice.bandwidth = 1.0 / seconds_per_byte;
  return choice;
}

void TimeTerms::AddOp(const Op& op, const OpTiming& timing, double peak, double bandwidth,
                      const std::string& key) {
  const int c = static_cast<int>(op.op_class);
  if (!key.empty()) {
    std::array<double, 4>& s = keyed_s[key];
    if (timing.compute_bound())
      s[0] += op.flops / peak;
    else
      s[1] += op.bytes() / bandwidth;
    s[1] += timing.reread_unit_s;
    s[2] += op.outputs;
    s[3] += op.act_elements;
  } else if (timing.compute_bound())
    compute_s[c] += op.flops / peak;
  else
    memory_s[c] += op.bytes() / bandwidth;
  if (key.empty()) memory_s[c] += timing.reread_unit_s;
  launches += op.launches;
}

void TimeTerms::Add(const TimeTerms& other, double scale) {
  for (int c = 0; c < kNumOpClasses; ++c) {
    compute_s[c] += scale * other.compute_s[c];
    memory_s[c] += scale * other.memory_s[c];
  }
  for (const auto& [key, s] : other.keyed_s) {
    std::array<double, 4>& mine = keyed_s[key];
    for (int i = 0; i < 4; ++i) mine[i] += scale * s[i];
  }
  launches += scale * other.launches;
  passes += scale * other.passes;
}

double TimeTerms::Seconds(const Device& device) const {
  double t = launches * device.overhead_per_op + passes * device.overhead_per_pass;
  for (int c = 0; c < kNumOpClasses; ++c)
    t += compute_s[c] / device.efficiency[c].compute + memory_s[c] / device.efficiency[c].memory;
  for (const auto& [key, s] : keyed_s) {
    const Efficiency& e = device.FactorsOf(key);
    t += s[0] / e.compute + s[1] / e.memory + s[2] * e.per_output + s[3] * e.per_act;
  }
  return t;
}

}  // namespace mixq::forecast
