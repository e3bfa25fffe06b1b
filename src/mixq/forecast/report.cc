#include "mixq/forecast/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "mixq/forecast/json_fields.h"

namespace mixq::forecast {
namespace {

std::string WorkloadLine(const ForecastInputs& in) {
  const Workload& w = in.workload;
  const ModelSpec& m = *in.model;
  std::string lora = m.lora.rank > 0 ? fmt::format("rank {} on {} ({})", m.lora.rank, fmt::join(m.lora.targets, ","),
                                                    DTypeName(m.lora.type))
                                     : "none";
  return fmt::format("prompt {}, gen {}, batch {}, ctx {}, chunk {}, kv {}, lora {}", w.prompt, w.gen, w.batch,
                     w.context > 0 ? w.context : w.prompt + w.gen, w.chunk > 0 ? w.chunk : w.prompt,
                     DTypeName(m.kv_type), lora);
}

void OpTable(const PhaseResult& phase, std::string* out) {
  *out += fmt::format("  {:<12} {:<11} {:<7} {:>10} {:>10} {:>8} {:<7} {:>10} {:>6}\n", "op", "class", "compute",
                      "FLOPs", "bytes", "FLOP/B", "bound", "time", "share");
  for (const OpRow& row : phase.ops) {
    const double share = phase.seconds > 0 ? 100.0 * row.time / phase.seconds : 0;
    *out += fmt::format("  {:<12} {:<11} {:<7} {:>10} {:>10} {:>8.3g} {:<7} {:>10} {:>5.1f}%\n", row.group,
                        OpClassName(row.op_class), row.flops > 0 ? row.compute_type : "-", FormatSi(row.flops, ""),
                        FormatSi(row.bytes(), "B"), row.intensity(), row.compute_bound() ? "compute" : "memory",
                        FormatSeconds(row.time), share);
  }
}

Json PhaseJson(const PhaseResult& phase) {
  Json ops = Json::array();
  for (const OpRow& row : phase.ops) {
    ops.push_back({{"op", row.group},
                   {"class", OpClassName(row.op_class)},
                   {"compute_type", row.compute_type},
                   {"flops", row.flops},
                   {"bytes", row.bytes()},
                   {"weight_bytes", row.weight_bytes},
                   {"activation_bytes", row.act_bytes},
                   {"kv_bytes", row.kv_bytes},
                   {"launches", row.launches},
                   {"intensity_flop_per_byte", row.intensity()},
                   {"bound", row.compute_bound() ? "compute" : "memory"},
                   {"compute_s", row.t_compute},
                   {"memory_s", row.t_memory},
                   {"time_s", row.time}});
  }
  return Json{{"seconds", phase.seconds}, {"passes", phase.passes}, {"memory_level", phase.memory_level},
              {"flops", phase.flops()},   {"bytes", phase.bytes()},   {"ops", ops}};
}

}  // namespace

std::string FormatSeconds(double s) {
  if (s >= 1) return fmt::format("{:.2f} s", s);
  if (s >= 1e-3) return fmt::format("{:.2f} ms", s * 1e3);
  if (s >= 1e-6) return fmt::format("{:.1f} us", s * 1e6);
  return fmt::format("{:.0f} ns", s * 1e9);
}

std::string FormatSi(double v, const std::string& unit) {
  static const char* kPrefix[] = {"", "k", "M", "G", "T", "P", "E"};
  int group = 0;
  while (std::fabs(v) >= 1000 && group < 6) v /= 1000, ++group;
  const std::string sep = unit.empty() && group == 0 ? "" : " ";
  return fmt::format("{:.3g}{}{}{}", v, sep, kPrefix[group], unit);
}

std::string FormatBytes(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return fmt::format("{:.2f} {}", b, kUnits[u]);
}

std::string ForecastText(const ForecastInputs& in, const ForecastResult& r) {
  const Device& d = *in.device;
  const Workload& w = in.workload;
  std::string out = fmt::format("forecast: {} ({}) on {} [{}]\n", in.model_name, in.weights_desc, d.name,
                                d.calibrated ? "calibrated" : "uncalibrated efficiency factors");
  out += "workload: " + WorkloadLine(in) + "\n\n";
  out += fmt::format("TTFT    {:>10}   prefill: {} pass{}, weights from {}\n", FormatSeconds(r.ttft), r.prefill.passes,
                     r.prefill.passes == 1 ? "" : "es", r.prefill.memory_level);
  out += fmt::format("TPOT    {:>10}   mean of {} decode step{}, weights from {}\n", FormatSeconds(r.tpot),
                     r.decode.passes, r.decode.passes == 1 ? "" : "s", r.decode.memory_level);
  out += fmt::format("TPS     {:>10.2f}   tokens/s ({} sequence{})\n", r.tps, w.batch, w.batch == 1 ? "" : "s");
  out += fmt::format("E2E     {:>10}   TTFT + {} x TPOT\n", FormatSeconds(r.e2e), w.gen - 1);
  out += fmt::format("memory  {:>10}   weights {} + KV cache {} + activations {}", FormatBytes(r.memory.total()),
                     FormatBytes(r.memory.weights), FormatBytes(r.memory.kv_cache), FormatBytes(r.memory.activations));
  if (d.memory_capacity > 0)
    out += fmt::format("; device {}: {}", FormatBytes(d.memory_capacity), r.fits_memory ? "fits" : "DOES NOT FIT");
  out += "\n\nprefill, totals over all passes:\n";
  OpTable(r.prefill, &out);
  out += "\ndecode, per step (mean over the generation):\n";
  OpTable(r.decode, &out);
  return out;
}

std::string ForecastJson(const ForecastInputs& in, const ForecastResult& r) {
  const ModelSpec& m = *in.model;
  const ModelConfig& c = m.config;
  const Device& d = *in.device;
  const Workload& w = in.workload;
  Json j;
  j["schema_version"] = 1;
  j["model"] = {{"name", in.model_name},   {"weights", in.weights_desc}, {"arch", ArchitectureName(c.arch)},
                {"dim", c.dim},            {"hidden_dim", c.hidden_dim}, {"n_layers", c.n_layers},
                {"n_heads", c.n_heads},    {"n_kv_heads", c.n_kv_heads}, {"head_dim", c.head_dim},
                {"vocab_size", c.vocab_size}, {"kv_type", DTypeName(m.kv_type)}, {"lora_rank", m.lora.rank}};
  j["device"] = {{"name", d.name}, {"kind", d.kind}, {"calibrated", d.calibrated}};
  j["workload"] = {{"prompt", w.prompt}, {"gen", w.gen},     {"batch", w.batch},
                   {"context", w.context > 0 ? w.context : w.prompt + w.gen},
                   {"chunk", w.chunk > 0 ? w.chunk : w.prompt}, {"all_logits", w.all_logits}};
  j["ttft_s"] = r.ttft;
  j["tpot_s"] = r.tpot;
  j["tps"] = r.tps;
  j["e2e_s"] = r.e2e;
  j["memory"] = {{"weights_bytes", r.memory.weights},
                 {"kv_cache_bytes", r.memory.kv_cache},
                 {"activations_bytes", r.memory.activations},
                 {"total_bytes", r.memory.total()},
                 {"device_capacity_bytes", d.memory_capacity},
                 {"fits", r.fits_memory}};
  j["prefill"] = PhaseJson(r.prefill);
  j["decode"] = PhaseJson(r.decode);
  return j.dump(2) + "\n";
}

std::string ValidationText(const ValidationReport& report) {
  // rounds / spread: how many measurements of the configuration were merged and how far apart
  // they were (max / min - 1), to tell host drift from model error.
  std::string out = fmt::format("  {:<44} {:<8} {:<7} {:>11} {:>11} {:>7} {:>14}\n", "measurement", "phase", "set",
                                "measured", "predicted", "error", "rounds spread");
  for (const ValidationRow& row : report.rows) {
    out += fmt::format("  {:<44} {:<8} {:<7} {:>11} {:>11} {:>6.1f}% {:>6} {:>6.1f}%\n", row.label, PhaseName(row.phase),
                       row.holdout ? "holdout" : "fit", FormatSeconds(row.measured), FormatSeconds(row.predicted),
                       row.ape, row.rounds, 100.0 * row.spread);
  }
  auto line = [](const char* name, const ErrorSummary& s) {
    return s.count == 0 ? fmt::format("  {:<15} (none)\n", name)
                        : fmt::format("  {:<15} n = {:<3}  median |error| {:5.1f}%   worst {:5.1f}%\n", name, s.count,
                                      s.median_ape, s.max_ape);
  };
  out += line("fit", report.train) + line("holdout", report.holdout) + line("all", report.all);
  for (int p = 0; p < 2; ++p) {
    const char* phase = PhaseName(static_cast<Phase>(p));
    out += line(fmt::format("fit {}", phase).c_str(), report.train_by_phase[p]);
    out += line(fmt::format("holdout {}", phase).c_str(), report.holdout_by_phase[p]);
  }
  return out;
}

std::string ValidationJson(const ValidationReport& report, const Device& device) {
  Json rows = Json::array();
  for (const ValidationRow& row : report.rows)
    rows.push_back({{"label", row.label},
                    {"phase", PhaseName(row.phase)},
                    {"holdout", row.holdout},
                    {"measured_s", row.measured},
                    {"predicted_s", row.predicted},
                    {"ape_percent", row.ape},
                    {"rounds", row.rounds},
                    {"spread_percent", 100.0 * row.spread}});
  auto summary = [](const ErrorSummary& s) {
    return Json{{"count", s.count}, {"median_ape_percent", s.median_ape}, {"max_ape_percent", s.max_ape}};
  };
  Json j;
  j["schema_version"] = 1;
  j["device"] = device.name;
  j["calibrated"] = device.calibrated;
  j["rows"] = rows;
  j["fit"] = summary(report.train);
  j["holdout"] = summary(report.holdout);
  j["all"] = summary(report.all);
  for (int p = 0; p < 2; ++p) {
    const std::string phase = PhaseName(static_cast<Phase>(p));
    j["fit_" + phase] = summary(report.train_by_phase[p]);
    j["holdout_" + phase] = summary(report.holdout_by_phase[p]);
  }
  return j.dump(2) + "\n";
}

}  // namespace mixq::forecast
