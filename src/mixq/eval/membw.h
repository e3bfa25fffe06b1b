// Achievable memory read bandwidth: the roofline ceiling of decode, where every weight byte is
// read once per token. Each thread streams its own slice of a buffer with the ISA's vector
// loads (the f32 dot kernel reading one array), repeatedly, and the best time is kept.
#pragma once

#include <cstdint>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"

namespace mixq::eval {

struct BandwidthPoint {
  int64_t bytes = 0;        // working set
  double bytes_per_s = 0;   // best of the timed repetitions
};

// One point per working-set size (each >= 64 KiB per thread); `seconds` is the target length
// of one timed repetition (sweeps are repeated until it is reached), `repetitions` >= 1.
Result<std::vector<BandwidthPoint>> MeasureReadBandwidth(const Context& ctx, const std::vector<int64_t>& sizes,
                                                         double seconds, int repetitions);

// Working sets from 1 MiB (cache) to 1 GiB (memory), doubling.
std::vector<int64_t> DefaultBandwidthSizes();

}  // namespace mixq::eval
