// mixq forecast MODEL --hw DEVICE [--plan plan.json | --type TYPE] ...: TTFT, TPOT, TPS, peak
//   memory and a per-operator roofline table for a model configuration on a device, from the
//   config (config.json / GGUF metadata / llama2.c header) and weight types alone.
// mixq forecast calibrate RUNS.json --hw DEVICE -o FITTED.json: fits the device's efficiency
//   factors to measured runs (mixq bench --json output), reports held-out errors.
// mixq forecast validate RUNS.json --hw DEVICE: predicted against measured, no fitting.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "command.h"
#include "mixq/forecast/calibrate.h"
#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/report.h"
#include "mixq/forecast/runs.h"
#include "mixq/forecast/svg.h"
#include "mixq/forecast/weight_types.h"
#include "mixq/io/model_files.h"

namespace mixq::cli {

// Where --hw NAME is looked up ($MIXQ_DEVICES, ./devices, beside the binary); cmd_device.cc.
std::vector<std::string> DeviceSearchDirsForCli();

namespace {

using namespace mixq::forecast;  // NOLINT: the command is a thin shell over this module

Result<DType> ParseTypeOption(const std::string& option, const std::string& name) {
  std::optional<DType> type = ParseDType(name);
  if (!type) return Err("{}: unknown type '{}'", option, name);
  return *type;
}

// The weight types of a model file as stored (GGUF: per tensor; HF/llama2.c: their dtypes).
Result<WeightTypes> StoredTypes(const std::string& model, const ModelConfig& config) {
  Result<std::shared_ptr<LoadedModel>> files = LoadModelFiles(model);
  if (!files.ok())
    return files.status().WithContext(fmt::format("[forecast] {}: no weights to take types from; give --type or --plan",
                                                  model));
  WeightTypes types;
  types.default_type = DType::kF32;
  for (const TensorShape& t : ModelTensors(config))
    if (const Tensor* tensor = (*files)->tensors.Find(t.name)) types.per_tensor[t.name] = tensor->dtype;
  return types;
}

struct ResolvedModel {
  ModelSpec spec;
  std::string weights_desc;
};

// Config + weight types + KV type from a model path and the type/plan choices.
Result<ResolvedModel> ResolveModel(const std::string& model, const std::optional<DType>& type,
                                   const std::optional<std::string>& plan, const std::optional<DType>& kv_type) {
  ResolvedModel r;
  MIXQ_ASSIGN_OR_RETURN(r.spec.config, LoadModelConfig(model));
  std::optional<DType> plan_kv;
  if (plan) {
    MIXQ_ASSIGN_OR_RETURN(Plan p, LoadPlan(*plan));
    MIXQ_RETURN_IF_ERROR(CheckPlanMatchesModel(p.weights, r.spec.config, *plan));
    r.spec.weights = p.weights;
    plan_kv = p.kv_type;
    r.weights_desc = "plan " + *plan;
  } else if (type) {
    r.spec.weights.default_type = *type;
    r.weights_desc = std::string(DTypeName(*type)) + " (uniform)";
  } else {
    MIXQ_ASSIGN_OR_RETURN(r.spec.weights, StoredTypes(model, r.spec.config));
    r.weights_desc = "types as stored";
  }
  r.spec.kv_type = kv_type ? *kv_type : plan_kv.value_or(DType::kF16);
  return r;
}

Result<Device> LoadDeviceOption(const std::string& hw) {
  MIXQ_ASSIGN_OR_RETURN(std::string path, FindDeviceFile(hw, DeviceSearchDirsForCli()));
  return LoadDevice(path);
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) return Err("[forecast] {}: cannot write", path);
  return Status::Ok();
}

struct ForecastOptions {
  std::string model, hw, plan, type, kv_type, svg, lora_type = "f16";
  Workload workload;
  int64_t lora_rank = 0;
  std::vector<std::string> lora_targets;
  bool json = false;
};

int RunForecast(const ForecastOptions& o) {
  if (o.model.empty()) return ReportError(Err("forecast: MODEL (config.json, HF directory, .gguf or .bin) is required"));
  if (o.hw.empty()) return ReportError(Err("forecast: --hw DEVICE is required (see mixq device list)"));
  std::optional<DType> type, kv;
  if (!o.type.empty()) {
    auto t = ParseTypeOption("--type", o.type);
    if (!t.ok()) return ReportError(t.status());
    type = *t;
  }
  if (!o.kv_type.empty()) {
    auto t = ParseTypeOption("--kv-type", o.kv_type);
    if (!t.ok()) return ReportError(t.status());
    kv = *t;
  }
  auto model = ResolveModel(o.model, type, o.plan.empty() ? std::nullopt : std::optional<std::string>(o.plan), kv);
  if (!model.ok()) return ReportError(model.status());
  auto lora_type = ParseTypeOption("--lora-type", o.lora_type);
  if (!lora_type.ok()) return ReportError(lora_type.status());
  model->spec.lora.rank = o.lora_rank;
  model->spec.lora.type = *lora_type;
  if (!o.lora_targets.empty()) model->spec.lora.targets = o.lora_targets;
  auto device = LoadDeviceOption(o.hw);
  if (!device.ok()) return ReportError(device.status());
  auto result = Forecast(model->spec, *device, o.workload);
  if (!result.ok()) return ReportError(result.status());
  const ForecastInputs in{o.model, model->weights_desc, &model->spec, &*device, o.workload};
  std::fputs((o.json ? ForecastJson(in, *result) : ForecastText(in, *result)).c_str(), stdout);
  if (!o.svg.empty()) {
    const std::string title = fmt::format("{} ({})\non {}", o.model, model->weights_desc, device->name);
    Status s = WriteFile(o.svg, RooflineSvg(*device, *result, title));
    if (!s.ok()) return ReportError(s);
  }
  return 0;
}

struct CalibrateOptions {
  std::vector<std::string> runs;
  std::string hw, output, statistic = "median", rounds = "min";
  std::vector<std::string> params, holdout_models;
  int holdout_every = 0;
  double prior_weight = 1e-3;
  bool json = false;
};

Result<CalibrationRuns> LoadRuns(const CalibrateOptions& o) {
  ModelResolver resolve = [](const RunModel& ref) -> Result<ModelSpec> {
    MIXQ_ASSIGN_OR_RETURN(ResolvedModel m, ResolveModel(ref.model, ref.type, ref.plan, ref.kv_type));
    return m.spec;
  };
  std::optional<BenchStatistic> statistic = ParseBenchStatistic(o.statistic);
  if (!statistic) return Err("--stat: expected median, best, mean or cpu-median, got '{}'", o.statistic);
  CalibrationRuns runs;
  for (const std::string& path : o.runs) {
    MIXQ_ASSIGN_OR_RETURN(CalibrationRuns more, LoadCalibrationRuns(path, resolve, *statistic));
    AppendRuns(std::move(more), &runs);
  }
  std::optional<RoundStatistic> rounds = ParseRoundStatistic(o.rounds);
  if (!rounds) return Err("--rounds: expected min or median, got '{}'", o.rounds);
  MergeRounds(*rounds, &runs);  // before holding out: run indices are those of the first round
  HoldOutEveryNth(o.holdout_every, &runs);
  HoldOutModels(o.holdout_models, &runs);
  return runs;
}

int RunCalibrate(const CalibrateOptions& o, bool fit) {
  auto device = LoadDeviceOption(o.hw);
  if (!device.ok()) return ReportError(device.status());
  auto runs = LoadRuns(o);
  if (!runs.ok()) return ReportError(runs.status());
  const ValidationReport before = ValidateForecasts(*device, runs->measurements);
  if (!fit) {
    std::fputs((o.json ? ValidationJson(before, *device) : ValidationText(before)).c_str(), stdout);
    return 0;
  }
  CalibrationOptions options;
  if (!o.params.empty()) options.parameters = o.params;
  options.prior_weight = o.prior_weight;
  auto fitted = Calibrate(*device, runs->measurements, options);
  if (!fitted.ok()) return ReportError(fitted.status());
  Device& d = fitted->device;
  const ValidationReport after = ValidateForecasts(d, runs->measurements);
  // With nothing held out, the fit's own errors are what there is to state.
  const bool held_out = after.holdout.count > 0;
  const auto& stated = held_out ? after.holdout : after.all;
  d.efficiency_source = fmt::format("calibrated by mixq forecast calibrate from {} ({} measurements, {} held out): "
                                    "{} median |error| {:.1f}%, worst {:.1f}%",
                                    o.runs.size() == 1 ? o.runs[0] : fmt::format("{} files", o.runs.size()),
                                    after.all.count, after.holdout.count, held_out ? "held-out" : "in-sample (fit)",
                                    stated.median_ape, stated.max_ape);
  if (o.json) {
    std::fputs(ValidationJson(after, d).c_str(), stdout);
  } else {
    std::printf("before calibration (%s):\n%s\n", device->name.c_str(), ValidationText(before).c_str());
    std::printf("after calibration (%d iterations%s):\n%s", fitted->iterations,
                fitted->converged ? "" : ", not converged", ValidationText(after).c_str());
    for (const std::string& p : fitted->unidentified)
      std::printf("note: no fitted measurement depends on %s; it keeps its value\n", p.c_str());
    std::printf("\nfitted efficiency (compute / memory):\n");
    for (int c = 0; c < kNumOpClasses; ++c)
      std::printf("  %-12s %.3f / %.3f\n", OpClassName(static_cast<OpClass>(c)), d.efficiency[c].compute,
                  d.efficiency[c].memory);
    if (d.attention_decode)
      std::printf("  attention (decode) %.3f / %.3f\n", d.attention_decode->compute, d.attention_decode->memory);
    for (const auto& [type, e] : d.matmul_type_efficiency)
      std::printf("  matmul %-5s %.3f / %.3f, per output %.3f ns, per activation %.3f ns\n", type.c_str(), e.compute,
                  e.memory, e.per_output * 1e9, e.per_act * 1e9);
    std::printf("  overhead per op %.2f us, per pass %.2f us\n", d.overhead_per_op * 1e6, d.overhead_per_pass * 1e6);
  }
  if (!o.output.empty()) {
    Status s = WriteFile(o.output, DeviceToJson(d));
    if (!s.ok()) return ReportError(s);
    std::fprintf(stderr, "[calibrate] wrote %s\n", o.output.c_str());
  }
  return 0;
}

void AddRunsOptions(CLI::App* app, CalibrateOptions* o) {
  app->add_option("runs", o->runs,
                  "measured runs: calibration-input JSON or mixq bench --json outputs (docs/forecast.md#calibration-input)")
      ->required();
  app->add_option("--hw", o->hw, "device file or name (see mixq device list)")->required();
  app->add_option("--holdout-every", o->holdout_every, "also hold out every N-th run (0: only runs marked holdout)");
  app->add_option("--stat", o->statistic,
                  "which repetition statistic of mixq bench is measured: median (default), best, mean, cpu-median "
                  "(CPU time; 1-thread runs on a loaded machine)");
  app->add_option("--rounds", o->rounds,
                  "how repeated measurements of one configuration (bench rounds) are merged: min (default: the "
                  "least disturbed round) or median");
  app->add_option("--holdout-model", o->holdout_models, "also hold out runs whose model path contains this")
      ->delimiter(',');
  app->add_flag("--json", o->json, "print the report as JSON");
}

CommandRegistration reg("forecast", "forecast TTFT, TPOT, TPS and memory on a device; calibrate it", [](CLI::App* sub) {
  auto o = std::make_shared<ForecastOptions>();
  sub->add_option("model", o->model, "config.json, Hugging Face directory, .gguf or llama2.c .bin");
  sub->add_option("--hw", o->hw, "device file or name under devices/ (see mixq device list)");
  sub->add_option("--plan", o->plan, "plan.json with per-tensor types (docs/forecast.md#plan-files)");
  sub->add_option("--type", o->type, "one weight type for every matrix (q4_K, q8_0, f16, ...)")->excludes("--plan");
  sub->add_option("--kv-type", o->kv_type, "KV-cache type (default: the plan's, else f16)");
  sub->add_option("--prompt", o->workload.prompt, "prompt tokens per sequence (default 512)");
  sub->add_option("--gen", o->workload.gen, "generated tokens per sequence (default 128)");
  sub->add_option("--ctx", o->workload.context, "KV-cache positions allocated (default prompt + gen)");
  sub->add_option("--batch", o->workload.batch, "sequences served together (default 1)");
  sub->add_option("--chunk", o->workload.chunk, "prefill chunk in tokens (default: whole prompt)");
  sub->add_flag("--all-logits", o->workload.all_logits, "prefill computes logits for every prompt token");
  sub->add_option("--lora-rank", o->lora_rank, "rank of unmerged LoRA adapters (default 0: none)");
  sub->add_option("--lora-targets", o->lora_targets, "projections with adapters (default all seven)")->delimiter(',');
  sub->add_option("--lora-type", o->lora_type, "adapter weight type (default f16)");
  sub->add_flag("--json", o->json, "print JSON instead of the table");
  sub->add_option("--svg", o->svg, "write a roofline chart with the operators placed on it");

  auto c = std::make_shared<CalibrateOptions>();
  CLI::App* cal = sub->add_subcommand("calibrate", "fit a device's efficiency factors to measured runs");
  AddRunsOptions(cal, c.get());
  cal->add_option("-o,--output", c->output, "write the calibrated device file here");
  cal->add_option("--params", c->params, "parameters to fit (default: all identifiable)")->delimiter(',');
  cal->add_option("--prior-weight", c->prior_weight, "pull towards the starting factors (default 1e-3)");
  auto v = std::make_shared<CalibrateOptions>();
  CLI::App* val = sub->add_subcommand("validate", "predicted against measured runs, without fitting");
  AddRunsOptions(val, v.get());
  sub->require_subcommand(0, 1);
  return [=] {
    if (cal->parsed()) return RunCalibrate(*c, true);
    if (val->parsed()) return RunCalibrate(*v, false);
    return RunForecast(*o);
  };
});

}  // namespace
}  // namespace mixq::cli
