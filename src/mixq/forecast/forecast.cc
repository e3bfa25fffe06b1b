#include "mixq/forecast/forecast.h"

#include <algorithm>

#include "mixq/forecast/memory.h"
#include "mixq/forecast/pass_model.h"

namespace mixq::forecast {
namespace {

Status WorkloadError(const char* field, const std::string& what) {
  return Err("[forecast] workload: '{}': {}", field, what);
}

Status CheckWorkload(const Workload& w) {
  if (w.prompt < 1) return WorkloadError("prompt", fmt::format("must be >= 1, got {}", w.prompt));
  if (w.gen < 1) return WorkloadError("gen", fmt::format("must be >= 1, got {}", w.gen));
  if (w.batch < 1) return WorkloadError("batch", fmt::format("must be >= 1, got {}", w.batch));
  if (w.chunk < 0) return WorkloadError("chunk", fmt::format("must be >= 0, got {}", w.chunk));
  if (w.context < 0) return WorkloadError("ctx", fmt::format("must be >= 0, got {}", w.context));
  if (w.context > 0 && w.context < w.prompt + w.gen)
    return WorkloadError("ctx", fmt::format("{} positions cannot hold prompt {} + gen {}", w.context, w.prompt, w.gen));
  return Status::Ok();
}

}  // namespace

double PhaseResult::flops() const {
  double sum = 0;
  for (const OpRow& row : ops) sum += row.flops;
  return sum;
}

double PhaseResult::bytes() const {
  double sum = 0;
  for (const OpRow& row : ops) sum += row.bytes();
  return sum;
}

Status CheckDevice(const Device& d) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return Err("[device] {}: '{}': {}", d.name, field, what);
  };
  if (!(d.memory_bandwidth > 0)) return bad("memory.bandwidth_gbs", "must be positive");
  for (const auto& [type, ops] : d.peak)
    if (!(ops > 0)) return bad("peak_tops." + type, "must be positive");
  for (const MemoryLevel& m : d.caches)
    if (!(m.bandwidth > 0 && m.capacity_bytes > 0)) return bad("caches." + m.name, "must have positive numbers");
  if (!d.matmul_compute.count("default")) return bad("compute.matmul.default", "missing");
  for (const auto& [key, type] : d.matmul_compute)
    if (!d.peak.count(type)) return bad("compute.matmul." + key, "compute type '" + type + "' has no peak");
  if (!d.peak.count(d.attention_compute)) return bad("compute.attention", "no peak for " + d.attention_compute);
  if (!d.peak.count(d.vector_compute)) return bad("compute.vector", "no peak for " + d.vector_compute);
  for (int c = 0; c < kNumOpClasses; ++c)
    if (!(d.efficiency[c].compute > 0 && d.efficiency[c].memory > 0))
      return bad(std::string("efficiency.") + OpClassName(static_cast<OpClass>(c)), "factors must be positive");
  if (d.overhead_per_op < 0 || d.overhead_per_pass < 0) return bad("runtime.overhead_us", "must not be negative");
  return Status::Ok();
}

Status CheckModelSpec(const ModelSpec& m) {
  MIXQ_RETURN_IF_ERROR(m.config.Validate("model config"));
  MIXQ_RETURN_IF_ERROR(CheckPlanMatchesModel(m.weights, m.config, "weight types"));
  if (m.lora.rank < 0) return Err("[forecast] lora: 'rank' must be >= 0, got {}", m.lora.rank);
  static const char* const kProjections[] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
  for (const std::string& target : m.lora.targets) {
    if (std::find(std::begin(kProjections), std::end(kProjections), target) == std::end(kProjections))
      return Err("[forecast] lora: 'targets': unknown projection '{}' (attn_q, attn_k, attn_v, attn_output, ffn_gate, "
                 "ffn_up, ffn_down)", target);
  }
  return Status::Ok();
}

PhaseResult ForecastPrefill(const ModelSpec& model, const Device& device, int64_t tokens, int64_t past,
                            int64_t batch, int64_t chunk, bool all_logits) {
  MIXQ_CHECK(tokens >= 1 && past >= 0 && batch >= 1);
  chunk = chunk <= 0 ? tokens : std::min(chunk, tokens);
  const int64_t n_full = (tokens - 1) / chunk;  // passes before the last, each of `chunk` tokens
  const int64_t last = tokens - n_full * chunk;
  PhaseAccumulator acc(device);
  if (n_full > 0) {
    PassShape mid{chunk, 0, batch, all_logits ? chunk : 0, false};
    PassModel pass(model, device, mid, &acc);
    for (int64_t j = 0; j < n_full; ++j) pass.Run(past + j * chunk);
  }
  PassShape final_shape{last, 0, batch, all_logits ? last : 1, true};
  PassModel(model, device, final_shape, &acc).Run(past + n_full * chunk);
  return acc.Finish(1.0);
}

PhaseResult ForecastDecode(const ModelSpec& model, const Device& device, int64_t past, int64_t steps,
                           int64_t batch) {
  MIXQ_CHECK(steps >= 1 && past >= 0 && batch >= 1);
  PhaseAccumulator acc(device);
  PassModel pass(model, device, PassShape{1, 0, batch, 1, true}, &acc);
  for (int64_t s = 0; s < steps; ++s) pass.Run(past + s);
  return acc.Finish(static_cast<double>(steps));
}

Result<ForecastResult> Forecast(const ModelSpec& model, const Device& device, const Workload& w) {
  MIXQ_RETURN_IF_ERROR(CheckModelSpec(model));
  MIXQ_RETURN_IF_ERROR(CheckDevice(device));
  MIXQ_RETURN_IF_ERROR(CheckWorkload(w));
  ForecastResult r;
  r.prefill = ForecastPrefill(model, device, w.prompt, 0, w.batch, w.chunk, w.all_logits);
  // Token 1 comes from the prefill; steps 1..gen-1 feed tokens at positions prompt.. .
  r.decode = ForecastDecode(model, device, w.prompt, std::max<int64_t>(w.gen - 1, 1), w.batch);
  r.ttft = r.prefill.seconds;
  r.tpot = r.decode.seconds;
  r.tps = static_cast<double>(w.batch) / r.tpot;
  r.e2e = r.ttft + static_cast<double>(w.gen - 1) * r.tpot;
  r.memory = EstimateMemory(model, device.exec, w);
  r.fits_memory = device.memory_capacity <= 0 || r.memory.total() <= device.memory_capacity;
  return r;
}

}  // namespace mixq::forecast
