// Workload in, TTFT / TPOT / TPS / memory out: the forecast of one model configuration on one
// device. Pure: it reads only the config, the weight types and the device numbers.
//
// Definitions (docs/forecast.md#definitions):
//   prefill  = the prompt (`prompt` tokens per sequence) in ceil(prompt / chunk) passes, the last
//              of which computes the logits of the last prompt token and samples token 1;
//   TTFT     = prefill time (token 1 comes out of the prefill);
//   decode step k (k = 1 .. gen-1) feeds token k with prompt + k - 1 tokens already cached;
//   TPOT     = mean decode-step time over those gen-1 steps (gen == 1: the time of step 1);
//   TPS      = batch / TPOT (generated tokens per second over all sequences);
//   E2E      = TTFT + (gen - 1) * TPOT;
//   memory   = weights (+ adapters) + KV cache at `context` positions + peak activations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/forecast/device.h"
#include "mixq/forecast/ops.h"
#include "mixq/forecast/roofline.h"

namespace mixq::forecast {

struct Workload {
  int64_t prompt = 512;   // prompt tokens per sequence
  int64_t gen = 128;      // generated tokens per sequence
  int64_t context = 0;    // KV-cache positions allocated; 0: prompt + gen
  int64_t batch = 1;      // sequences served together
  int64_t chunk = 0;      // prefill chunk (tokens per pass); 0: the whole prompt in one pass
  bool all_logits = false;  // prefill computes logits for every prompt token (perplexity runs)
};

// One row of the per-operator table: an operator kind summed over layers (and, for prefill,
// over chunks; decode rows are per step, averaged over the generation).
struct OpRow {
  std::string group;
  OpClass op_class = OpClass::kElementwise;
  std::string compute_type;  // of the last op added (a plan may mix types across layers)
  double flops = 0, weight_bytes = 0, act_bytes = 0, kv_bytes = 0, launches = 0;
  double t_compute = 0, t_memory = 0, time = 0;  // sums of the per-op roofline terms, seconds

  double bytes() const { return weight_bytes + act_bytes + kv_bytes; }
  double intensity() const { return bytes() > 0 ? flops / bytes() : 0; }  // FLOP per byte
  bool compute_bound() const { return t_compute > t_memory; }
};

struct PhaseResult {
  double seconds = 0;   // prefill: total; decode: mean per step
  int64_t passes = 0;   // prefill: chunks; decode: steps
  std::string memory_level;  // level serving the last pass ("DRAM", "L3", ...)
  std::vector<OpRow> ops;    // same normalisation as `seconds`
  TimeTerms terms;           // same normalisation; terms.Seconds(device) == seconds

  double flops() const;
  double bytes() const;
};

struct MemoryEstimate {
  double weights = 0;      // bytes: all tensors at their types, plus LoRA adapters
  double kv_cache = 0;     // bytes: K and V of every layer at `context` positions, all sequences
  double activations = 0;  // bytes: the largest set of live activations in one pass
  double total() const { return weights + kv_cache + activations; }
};

struct ForecastResult {
  PhaseResult prefill;
  PhaseResult decode;
  double ttft = 0;     // seconds
  double tpot = 0;     // seconds
  double tps = 0;      // tokens/s, all sequences
  double e2e = 0;      // seconds
  MemoryEstimate memory;
  bool fits_memory = true;  // total <= device memory capacity (true when capacity is unknown)
};

// Prefill of `tokens` per sequence after `past` cached tokens, in passes of `chunk` tokens
// (0: one pass). Only the last pass computes logits (all passes when all_logits) and samples.
PhaseResult ForecastPrefill(const ModelSpec& model, const Device& device, int64_t tokens, int64_t past,
                            int64_t batch, int64_t chunk, bool all_logits);
// `steps` decode steps of one token per sequence, the first with `past` tokens cached; rows
// and terms are means per step.
PhaseResult ForecastDecode(const ModelSpec& model, const Device& device, int64_t past, int64_t steps,
                           int64_t batch);

// Validates the inputs (messages name the field) and runs both phases.
Result<ForecastResult> Forecast(const ModelSpec& model, const Device& device, const Workload& workload);

// Checks a programmatically built device: positive peaks/bandwidth/efficiencies and that every
// compute type it maps to has a peak. Device files are checked by ParseDevice.
Status CheckDevice(const Device& device);
Status CheckModelSpec(const ModelSpec& model);

}  // namespace mixq::forecast
