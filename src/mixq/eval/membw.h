// Achievable memory read bandwidth: the roofline ceiling of decode, where every weight byte is
// read once per token. The threads stream a buffer in dynamically claimed slices with the ISA's
// widest loads (XorWords), repeatedly, and the best time is kept.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"

namespace mixq::eval {

struct BandwidthPoint {
  int64_t bytes = 0;        // working set
  double bytes_per_s = 0;   // best of the timed repetitions
};

// One read probe: a buffer that every Sweep reads once with ctx's threads and ISA. Benchmarks
// alternate it with a kernel to compare both in the same time window, over the kernel's own
// bytes (Over) so that both read the same pages.
class ReadProbe {
 public:
  // A fresh buffer of (about) `bytes`, >= 64 KiB per thread.
  static Result<std::unique_ptr<ReadProbe>> Create(const Context& ctx, int64_t bytes);
  // Reads bytes [data, data + bytes) (8-byte aligned, a multiple of 8 bytes), owned by the caller.
  static std::unique_ptr<ReadProbe> Over(const Context& ctx, const void* data, int64_t bytes);
  // Reads the whole buffer `sweeps` times; returns the seconds taken.
  double Sweep(int sweeps = 1);
  int64_t bytes() const { return words_ * 8; }

 private:
  ReadProbe() = default;
  Context ctx_;
  std::shared_ptr<void> owned_;
  const uint64_t* data_ = nullptr;
  int64_t words_ = 0;
  int64_t slice_ = 0;  // words per dynamically claimed slice
  std::vector<uint64_t> sink_;
};

// One point per working-set size (each >= 64 KiB per thread); `seconds` is the target length
// of one timed repetition (sweeps are repeated until it is reached), `repetitions` >= 1.
Result<std::vector<BandwidthPoint>> MeasureReadBandwidth(const Context& ctx, const std::vector<int64_t>& sizes,
                                                         double seconds, int repetitions);

// Working sets from 1 MiB (cache) to 1 GiB (memory), doubling.
std::vector<int64_t> DefaultBandwidthSizes();

}  // namespace mixq::eval
