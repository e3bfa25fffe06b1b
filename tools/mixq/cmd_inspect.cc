// mixq inspect MODEL: architecture, parameter count, and every tensor's shape, type and bytes.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "mixq/io/hf_model.h"
#include "mixq/io/model_files.h"

namespace mixq::cli {
namespace {

struct InspectOptions {
  std::string model;
  bool json = false;
};

// The Hugging Face config.json view of the model (as `mixq synth` writes it), plus the
// properties mixq derives that config.json leaves implicit.
nlohmann::json ConfigJson(const ModelConfig& c) {
  nlohmann::json j = nlohmann::json::parse(HfConfigJson(c));
  j["rope_layout"] = c.rope_layout == RopeLayout::kHalf ? "half (rotate_half / neox)" : "interleaved";
  j["qkv_bias"] = c.qkv_bias;
  j["qk_norm"] = c.qk_norm;
  return j;
}

int Inspect(const InspectOptions& o) {
  auto loaded = LoadModelFiles(o.model);
  if (!loaded.ok()) return ReportError(loaded.status());
  const LoadedModel& m = **loaded;
  int64_t params = 0;
  size_t bytes = 0;
  nlohmann::json tensors = nlohmann::json::array();
  for (const Tensor& t : m.tensors.all()) {
    params += t.numel();
    bytes += t.nbytes;
    tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"type", DTypeName(t.dtype)}, {"bytes", t.nbytes}});
  }
  const double bpw = params > 0 ? 8.0 * static_cast<double>(bytes) / static_cast<double>(params) : 0.0;
  if (o.json) {
    nlohmann::json out = {{"path", m.path},          {"format", ModelFormatName(m.format)},
                          {"config", ConfigJson(m.config)}, {"parameters", params},
                          {"tensor_bytes", bytes},  {"bits_per_weight", bpw},
                          {"tensors", tensors}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model:        %s\nformat:       %s\n", m.path.c_str(), ModelFormatName(m.format));
  const nlohmann::json config = ConfigJson(m.config);  // named: items() must not outlive it
  for (const auto& [key, value] : config.items()) std::printf("%-24s %s\n", key.c_str(), value.dump().c_str());
  std::printf("parameters:   %lld (%.3f M)\ntensor bytes: %zu (%.2f MiB), %.4f bits per weight\n\n",
              static_cast<long long>(params), params / 1e6, bytes, bytes / 1048576.0, bpw);
  std::printf("%-36s %-16s %-8s %12s\n", "tensor", "shape", "type", "bytes");
  for (const Tensor& t : m.tensors.all())
    std::printf("%-36s %-16s %-8s %12zu\n", t.name.c_str(), ShapeToString(t.shape).c_str(), DTypeName(t.dtype), t.nbytes);
  return 0;
}

CommandRegistration reg("inspect", "show a model's architecture and tensors", [](CLI::App* sub) {
  auto o = std::make_shared<InspectOptions>();
  sub->add_option("model", o->model, "model: Hugging Face directory, .gguf or llama2.c .bin")->required();
  sub->add_flag("--json", o->json, "machine-readable output");
  return [o] { return Inspect(*o); };
});

}  // namespace
}  // namespace mixq::cli
