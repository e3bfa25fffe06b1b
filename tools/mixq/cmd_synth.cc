// mixq synth OUT_DIR --shape NAME|CONFIG.json [--seed S] [--dtype bf16|f16|f32] [--force]:
// writes a Hugging Face model directory with deterministic random weights (io/synth_model.h),
// so benchmarks and examples run without downloading anything.
#include <cstdio>

#include "command.h"
#include "mixq/io/hf_model.h"
#include "mixq/io/model_check.h"
#include "mixq/io/synth_model.h"

namespace mixq::cli {
namespace {

struct SynthArgs {
  std::string out_dir;
  std::string shape;
  uint64_t seed = 0;
  std::string dtype = "bf16";
  bool force = false;
};

bool EndsWithJson(const std::string& s) { return s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0; }

int Synth(const SynthArgs& a) {
  Result<ModelConfig> config = EndsWithJson(a.shape) ? ReadHfConfig(a.shape) : SynthShape(a.shape);
  if (!config.ok()) return ReportError(config.status());
  SynthOptions options;
  options.seed = a.seed;
  options.overwrite = a.force;
  if (a.dtype == "bf16") {
    options.dtype = DType::kBF16;
  } else if (a.dtype == "f16") {
    options.dtype = DType::kF16;
  } else if (a.dtype == "f32") {
    options.dtype = DType::kF32;
  } else {
    return ReportError(Err("--dtype: '{}' is not one of bf16, f16, f32", a.dtype));
  }
  int64_t params = 0;
  for (const ExpectedTensor& t : ExpectedModelTensors(*config)) {
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    params += n;
  }
  const bool big = params > 20'000'000;  // a few seconds or more: show progress
  if (big)
    options.progress = [](size_t done, size_t total, const std::string& name) {
      std::fprintf(stderr, "\rsynth: %zu/%zu tensors (%s)%20s", done, total, name.c_str(), "");
      if (done == total) std::fprintf(stderr, "\n");
    };
  Status st = WriteSynthModel(a.out_dir, *config, options);
  if (!st.ok() && st.message().find("already exists") != std::string::npos)
    return ReportError(Err("{}; pass --force to replace it", st.message()));
  if (!st.ok()) return ReportError(st);
  std::printf("wrote %s: %s, %lld parameters (%.1f M), %s, seed %llu\n", a.out_dir.c_str(), ArchitectureName(config->arch),
              static_cast<long long>(params), static_cast<double>(params) / 1e6, a.dtype.c_str(),
              static_cast<unsigned long long>(a.seed));
  return 0;
}

const CommandRegistration kRegistration(
    "synth", "write a Hugging Face model with deterministic random weights", [](CLI::App* sub) -> CommandRunner {
      auto args = std::make_shared<SynthArgs>();
      sub->add_option("out_dir", args->out_dir, "output directory")->required();
      std::string shapes;
      for (const std::string& name : SynthShapeNames()) shapes += (shapes.empty() ? "" : ", ") + name;
      sub->add_option("--shape", args->shape, "built-in shape (" + shapes + ") or a config.json")->required();
      sub->add_option("--seed", args->seed, "random seed (default 0)");
      sub->add_option("--dtype", args->dtype, "weight dtype: bf16 (default), f16, f32");
      sub->add_flag("--force", args->force, "replace OUT_DIR if it exists");
      return [args] { return Synth(*args); };
    });

}  // namespace
}  // namespace mixq::cli
