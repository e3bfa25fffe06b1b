#include "mixq/forecast/device.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "mixq/forecast/json_fields.h"

namespace mixq::forecast {
namespace {

constexpr double kGB = 1e9;          // bandwidths in GB/s (decimal, as datasheets state them)
constexpr double kGiB = 1073741824;  // memory capacities in GiB
constexpr double kMiB = 1048576;     // cache capacities in MiB
constexpr double kTera = 1e12;       // peaks in TOPS / TFLOP/s
constexpr double kMicro = 1e-6;      // overheads in microseconds

// Reads a positive number and remembers its source under `path.key`.
Result<double> Positive(const Json& obj, const std::string& key, const std::string& path, const JsonSource& src,
                        Device* dev) {
  std::string source;
  MIXQ_ASSIGN_OR_RETURN(double v, PositiveNumber(obj, key, path, src, &source));
  if (!source.empty()) dev->sources[FieldPath(path, key)] = source;
  return v;
}

Status ParseMemory(const Json& root, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* memory, OptionalObject(root, "memory", "", src));
  if (!memory) return src.FieldError("memory", "missing");
  MIXQ_ASSIGN_OR_RETURN(double bw, Positive(*memory, "bandwidth_gbs", "memory", src, dev));
  dev->memory_bandwidth = bw * kGB;
  if (memory->contains("capacity_gib")) {
    MIXQ_ASSIGN_OR_RETURN(double cap, Positive(*memory, "capacity_gib", "memory", src, dev));
    dev->memory_capacity = cap * kGiB;
  }
  auto caches = root.find("caches");
  if (caches == root.end()) return Status::Ok();
  if (!caches->is_array()) return src.FieldError("caches", "must be an array");
  for (size_t i = 0; i < caches->size(); ++i) {
    const std::string path = fmt::format("caches[{}]", i);
    const Json& level = (*caches)[i];
    if (!level.is_object()) return src.FieldError(path, "must be an object");
    MemoryLevel m;
    MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(level, "name", path, src));
    m.name = name.value_or(fmt::format("cache{}", i));
    MIXQ_ASSIGN_OR_RETURN(double cap, Positive(level, "capacity_mib", path, src, dev));
    MIXQ_ASSIGN_OR_RETURN(double cbw, Positive(level, "bandwidth_gbs", path, src, dev));
    m.capacity_bytes = cap * kMiB;
    m.bandwidth = cbw * kGB;
    if (!dev->caches.empty() && m.capacity_bytes <= dev->caches.back().capacity_bytes)
      return src.FieldError(path + ".capacity_mib", "cache levels must be listed in ascending capacity");
    dev->caches.push_back(m);
  }
  return Status::Ok();
}

Status ParsePeaks(const Json& root, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* peaks, OptionalObject(root, "peak_tops", "", src));
  if (!peaks || peaks->empty()) return src.FieldError("peak_tops", "missing (at least one compute type)");
  for (const auto& [type, value] : peaks->items()) {
    MIXQ_ASSIGN_OR_RETURN(double tops, Positive(*peaks, type, "peak_tops", src, dev));
    dev->peak[type] = tops * kTera;
  }
  return Status::Ok();
}

Result<std::string> ComputeTypeField(const Json& obj, const std::string& key, const std::string& path,
                                     const JsonSource& src, const Device& dev) {
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> type, OptionalString(obj, key, path, src));
  if (!type) return src.FieldError(FieldPath(path, key), "missing");
  if (!dev.peak.count(*type))
    return src.FieldError(FieldPath(path, key), fmt::format("compute type '{}' has no entry in peak_tops", *type));
  return *type;
}

Status ParseCompute(const Json& root, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* compute, OptionalObject(root, "compute", "", src));
  if (!compute) return src.FieldError("compute", "missing");
  MIXQ_ASSIGN_OR_RETURN(const Json* matmul, OptionalObject(*compute, "matmul", "compute", src));
  if (!matmul) return src.FieldError("compute.matmul", "missing");
  for (const auto& [weight_type, value] : matmul->items()) {
    if (weight_type != "default" && weight_type != "quantized" && !ParseDType(weight_type))
      return src.FieldError("compute.matmul." + weight_type, "key must be a type name, \"quantized\" or \"default\"");
    MIXQ_ASSIGN_OR_RETURN(dev->matmul_compute[weight_type],
                          ComputeTypeField(*matmul, weight_type, "compute.matmul", src, *dev));
  }
  if (!dev->matmul_compute.count("default")) return src.FieldError("compute.matmul.default", "missing");
  MIXQ_ASSIGN_OR_RETURN(dev->attention_compute, ComputeTypeField(*compute, "attention", "compute", src, *dev));
  MIXQ_ASSIGN_OR_RETURN(dev->vector_compute, ComputeTypeField(*compute, "vector", "compute", src, *dev));
  return Status::Ok();
}

Status ParseRuntime(const Json& root, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* rt, OptionalObject(root, "runtime", "", src));
  if (!rt) return src.FieldError("runtime", "missing");
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> act, OptionalString(*rt, "activation_type", "runtime", src));
  if (!act) return src.FieldError("runtime.activation_type", "missing");
  std::optional<DType> act_type = ParseDType(*act);
  if (!act_type || GetDTypeInfo(*act_type).quantized)
    return src.FieldError("runtime.activation_type", fmt::format("'{}' is not a float type", *act));
  dev->exec.activation_type = *act_type;
  MIXQ_ASSIGN_OR_RETURN(const Json* fusion, OptionalObject(*rt, "fusion", "runtime", src));
  if (fusion) {
    Fusion& f = dev->exec.fusion;
    MIXQ_ASSIGN_OR_RETURN(f.qkv, BoolOr(*fusion, "qkv", "runtime.fusion", src, false));
    MIXQ_ASSIGN_OR_RETURN(f.norm, BoolOr(*fusion, "norm", "runtime.fusion", src, false));
    MIXQ_ASSIGN_OR_RETURN(f.flash_attention, BoolOr(*fusion, "flash_attention", "runtime.fusion", src, false));
    MIXQ_ASSIGN_OR_RETURN(f.swiglu, BoolOr(*fusion, "swiglu", "runtime.fusion", src, false));
  }
  MIXQ_ASSIGN_OR_RETURN(dev->exec.kv_per_query_head, BoolOr(*rt, "kv_per_query_head", "runtime", src, false));
  std::string block_source;
  MIXQ_ASSIGN_OR_RETURN(std::optional<double> block, OptionalNumber(*rt, "token_block", "runtime", src, &block_source));
  if (block) {
    if (*block < 0 || *block != std::floor(*block) || *block > 1e9)
      return src.FieldError("runtime.token_block", fmt::format("must be a whole number >= 0, got {}", *block));
    dev->exec.token_block = static_cast<int64_t>(*block);
    if (!block_source.empty()) dev->sources["runtime.token_block"] = block_source;
  }
  MIXQ_ASSIGN_OR_RETURN(const Json* overhead, OptionalObject(*rt, "overhead_us", "runtime", src));
  if (!overhead) return src.FieldError("runtime.overhead_us", "missing");
  for (const char* key : {"per_op", "per_pass"}) {
    std::string source;
    MIXQ_ASSIGN_OR_RETURN(double us, RequiredNumber(*overhead, key, "runtime.overhead_us", src, &source));
    const std::string field = FieldPath("runtime.overhead_us", key);
    if (us < 0) return src.FieldError(field, fmt::format("must not be negative, got {}", us));
    if (!source.empty()) dev->sources[field] = source;
    (std::string(key) == "per_op" ? dev->overhead_per_op : dev->overhead_per_pass) = us * kMicro;
  }
  return Status::Ok();
}

// {"compute": c, "memory": m} in (0, 2], and with `fixed_costs` the optional kernel costs
// "per_output_ns" and "per_act_ns" (>= 0).
Result<Efficiency> ParseFactorPair(const Json& value, const std::string& path, const JsonSource& src,
                                   bool fixed_costs) {
  if (!value.is_object()) return src.FieldError(path, "must be an object with compute and memory");
  Efficiency e;
  for (const char* key : {"compute", "memory"}) {
    MIXQ_ASSIGN_OR_RETURN(double v, RequiredNumber(value, key, path, src));
    if (!(v > 0 && v <= 2)) return src.FieldError(FieldPath(path, key), fmt::format("must be in (0, 2], got {}", v));
    (std::string(key) == "compute" ? e.compute : e.memory) = v;
  }
  if (!fixed_costs) return e;
  for (const char* key : {"per_output_ns", "per_act_ns"}) {
    if (!value.contains(key)) continue;
    MIXQ_ASSIGN_OR_RETURN(double ns, RequiredNumber(value, key, path, src));
    if (!(ns >= 0)) return src.FieldError(FieldPath(path, key), fmt::format("must not be negative, got {}", ns));
    (std::string(key) == "per_output_ns" ? e.per_output : e.per_act) = ns * 1e-9;
  }
  return e;
}

Status ParseMatmulTypeEfficiency(const Json& eff, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* types, OptionalObject(eff, "matmul_by_type", "efficiency", src));
  if (!types) return Status::Ok();
  for (const auto& [type, value] : types->items()) {
    const std::string path = FieldPath("efficiency.matmul_by_type", type);
    if (!ParseDType(type)) return src.FieldError(path, fmt::format("unknown weight type '{}'", type));
    if (!value.is_object()) return src.FieldError(path, "must be an object with compute and memory");
    MIXQ_ASSIGN_OR_RETURN(dev->matmul_type_efficiency[type], ParseFactorPair(value, path, src, true));
  }
  return Status::Ok();
}

Status ParseEfficiency(const Json& root, const JsonSource& src, Device* dev) {
  MIXQ_ASSIGN_OR_RETURN(const Json* eff, OptionalObject(root, "efficiency", "", src));
  if (!eff) return src.FieldError("efficiency", "missing");
  MIXQ_ASSIGN_OR_RETURN(dev->calibrated, BoolOr(*eff, "calibrated", "efficiency", src, false));
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> source, OptionalString(*eff, "source", "efficiency", src));
  if (!source || source->empty()) return src.FieldError("efficiency.source", "missing");
  dev->efficiency_source = *source;
  for (int c = 0; c < kNumOpClasses; ++c) {
    const std::string path = FieldPath("efficiency", OpClassName(static_cast<OpClass>(c)));
    MIXQ_ASSIGN_OR_RETURN(const Json* cls, OptionalObject(*eff, OpClassName(static_cast<OpClass>(c)), "efficiency", src));
    if (!cls) return src.FieldError(path, "missing");
    // Data movement has no arithmetic, so its compute factor may be omitted.
    const bool need_compute = static_cast<OpClass>(c) != OpClass::kData;
    for (const char* key : {"compute", "memory"}) {
      const bool is_compute = std::string(key) == "compute";
      if (is_compute && !need_compute && !cls->contains(key)) continue;
      MIXQ_ASSIGN_OR_RETURN(double v, RequiredNumber(*cls, key, path, src));
      if (!(v > 0 && v <= 2)) return src.FieldError(FieldPath(path, key), fmt::format("must be in (0, 2], got {}", v));
      (is_compute ? dev->efficiency[c].compute : dev->efficiency[c].memory) = v;
    }
  }
  if (eff->contains(kAttentionDecodeKey)) {
    MIXQ_ASSIGN_OR_RETURN(dev->attention_decode,
                          ParseFactorPair((*eff)[kAttentionDecodeKey], FieldPath("efficiency", kAttentionDecodeKey), src, false));
  }
  return ParseMatmulTypeEfficiency(*eff, src, dev);
}

Json SourcedNumber(const Device& dev, const std::string& path, double value) {
  auto it = dev.sources.find(path);
  return it == dev.sources.end() ? Json(value) : Quantity(value, it->second);
}

}  // namespace

const std::string& Device::ComputeTypeFor(const Op& op) const {
  if (op.op_class == OpClass::kAttention) return attention_compute;
  if (op.op_class != OpClass::kMatmul || !op.weight_type) return vector_compute;
  if (auto it = matmul_compute.find(DTypeName(*op.weight_type)); it != matmul_compute.end()) return it->second;
  if (GetDTypeInfo(*op.weight_type).quantized)
    if (auto it = matmul_compute.find("quantized"); it != matmul_compute.end()) return it->second;
  return matmul_compute.at("default");
}

double Device::PeakFor(const Op& op) const { return peak.at(ComputeTypeFor(op)); }

std::string Device::FactorKey(const Op& op) const {
  if (op.op_class == OpClass::kAttention) return op.decode && attention_decode ? kAttentionDecodeKey : "";
  if (op.op_class != OpClass::kMatmul || !op.weight_type || matmul_type_efficiency.empty()) return "";
  std::string key = DTypeName(*op.weight_type);
  return matmul_type_efficiency.count(key) ? key : "";
}

const Efficiency& Device::FactorsOf(const std::string& key) const {
  // Terms built with one device may be evaluated with another that lacks the key: the class
  // factors then apply, as FactorKey would have chosen.
  if (key == kAttentionDecodeKey)
    return attention_decode ? *attention_decode : efficiency[static_cast<int>(OpClass::kAttention)];
  auto it = matmul_type_efficiency.find(key);
  return it == matmul_type_efficiency.end() ? efficiency[static_cast<int>(OpClass::kMatmul)] : it->second;
}

const Efficiency& Device::EfficiencyFor(const Op& op) const {
  const std::string key = FactorKey(op);
  return key.empty() ? efficiency[static_cast<int>(op.op_class)] : FactorsOf(key);
}

Result<Device> ParseDevice(const std::string& json_text, const std::string& source) {
  const JsonSource src{"device", source};
  MIXQ_ASSIGN_OR_RETURN(Json root, ParseJsonObject(json_text, src));
  MIXQ_RETURN_IF_ERROR(CheckSchemaVersion(root, src));
  Device dev;
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(root, "name", "", src));
  if (!name || name->empty()) return src.FieldError("name", "missing");
  dev.name = *name;
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> kind, OptionalString(root, "kind", "", src));
  if (!kind) return src.FieldError("kind", "missing");
  if (*kind != "cpu" && *kind != "gpu" && *kind != "npu")
    return src.FieldError("kind", fmt::format("'{}' is not one of cpu, gpu, npu", *kind));
  dev.kind = *kind;
  MIXQ_ASSIGN_OR_RETURN(std::optional<std::string> description, OptionalString(root, "description", "", src));
  dev.description = description.value_or("");
  MIXQ_ASSIGN_OR_RETURN(dev.threads, IntegerOr(root, "threads", "", src, 0));
  if (dev.threads < 0) return src.FieldError("threads", "must not be negative");
  MIXQ_RETURN_IF_ERROR(ParseMemory(root, src, &dev));
  MIXQ_RETURN_IF_ERROR(ParsePeaks(root, src, &dev));
  MIXQ_RETURN_IF_ERROR(ParseCompute(root, src, &dev));
  MIXQ_RETURN_IF_ERROR(ParseRuntime(root, src, &dev));
  MIXQ_RETURN_IF_ERROR(ParseEfficiency(root, src, &dev));
  return dev;
}

Result<Device> LoadDevice(const std::string& path) {
  MIXQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "device"));
  return ParseDevice(text, path);
}

std::string DeviceToJson(const Device& dev) {
  Json j = Json::object();
  j["schema_version"] = 1;
  j["name"] = dev.name;
  j["kind"] = dev.kind;
  if (!dev.description.empty()) j["description"] = dev.description;
  if (dev.threads > 0) j["threads"] = dev.threads;
  j["memory"]["bandwidth_gbs"] = SourcedNumber(dev, "memory.bandwidth_gbs", dev.memory_bandwidth / kGB);
  if (dev.memory_capacity > 0)
    j["memory"]["capacity_gib"] = SourcedNumber(dev, "memory.capacity_gib", dev.memory_capacity / kGiB);
  for (size_t i = 0; i < dev.caches.size(); ++i) {
    const std::string path = fmt::format("caches[{}]", i);
    const MemoryLevel& m = dev.caches[i];
    j["caches"].push_back({{"name", m.name},
                           {"capacity_mib", SourcedNumber(dev, path + ".capacity_mib", m.capacity_bytes / kMiB)},
                           {"bandwidth_gbs", SourcedNumber(dev, path + ".bandwidth_gbs", m.bandwidth / kGB)}});
  }
  for (const auto& [type, ops] : dev.peak) j["peak_tops"][type] = SourcedNumber(dev, "peak_tops." + type, ops / kTera);
  for (const auto& [type, compute] : dev.matmul_compute) j["compute"]["matmul"][type] = compute;
  j["compute"]["attention"] = dev.attention_compute;
  j["compute"]["vector"] = dev.vector_compute;
  Json& rt = j["runtime"];
  rt["activation_type"] = DTypeName(dev.exec.activation_type);
  const Fusion& f = dev.exec.fusion;
  rt["fusion"] = {{"qkv", f.qkv}, {"norm", f.norm}, {"flash_attention", f.flash_attention}, {"swiglu", f.swiglu}};
  if (dev.exec.kv_per_query_head) rt["kv_per_query_head"] = true;
  if (dev.exec.token_block > 0)
    rt["token_block"] = SourcedNumber(dev, "runtime.token_block", static_cast<double>(dev.exec.token_block));
  rt["overhead_us"]["per_op"] = SourcedNumber(dev, "runtime.overhead_us.per_op", dev.overhead_per_op / kMicro);
  rt["overhead_us"]["per_pass"] = SourcedNumber(dev, "runtime.overhead_us.per_pass", dev.overhead_per_pass / kMicro);
  Json& eff = j["efficiency"];
  eff["calibrated"] = dev.calibrated;
  eff["source"] = dev.efficiency_source;
  for (int c = 0; c < kNumOpClasses; ++c)
    eff[OpClassName(static_cast<OpClass>(c))] = {{"compute", dev.efficiency[c].compute},
                                                 {"memory", dev.efficiency[c].memory}};
  if (dev.attention_decode)
    eff[kAttentionDecodeKey] = {{"compute", dev.attention_decode->compute}, {"memory", dev.attention_decode->memory}};
  for (const auto& [type, e] : dev.matmul_type_efficiency) {
    Json& t = eff["matmul_by_type"][type];
    t = {{"compute", e.compute}, {"memory", e.memory}};
    if (e.per_output > 0) t["per_output_ns"] = e.per_output * 1e9;
    if (e.per_act > 0) t["per_act_ns"] = e.per_act * 1e9;
  }
  return j.dump(2) + "\n";
}

std::vector<std::string> DeviceSearchDirs(const std::string& env_value, const std::string& exe_path) {
  std::vector<std::string> dirs;
  if (!env_value.empty()) dirs.push_back(env_value);
  dirs.push_back("devices");
  const size_t slash = exe_path.rfind('/');
  if (slash != std::string::npos) {
    const std::string bin = exe_path.substr(0, slash);
    for (const char* up : {"/devices", "/../devices", "/../../devices"}) dirs.push_back(bin + up);
  }
  return dirs;
}

Result<std::string> FindDeviceFile(const std::string& name_or_path, const std::vector<std::string>& dirs) {
  struct stat st {};
  auto is_file = [&](const std::string& p) { return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode); };
  if (is_file(name_or_path)) return name_or_path;
  std::string tried = name_or_path;
  const bool has_ext = name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json";
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + name_or_path + (has_ext ? "" : ".json");
    if (is_file(path)) return path;
    tried += ", " + path;
  }
  return Err("[device] no device file '{}' (tried {})", name_or_path, tried);
}

Efficiencies DefaultEfficiencies(const std::string& kind) {
  // {compute, memory} for matmul, attention, elementwise, data. Rationale per value in
  // docs/forecast.md#default-efficiency-factors; all are starting points for calibration.
  if (kind == "gpu") return {{{0.70, 0.80}, {0.40, 0.70}, {0.30, 0.70}, {1.0, 0.70}}};
  if (kind == "npu") return {{{0.50, 0.60}, {0.25, 0.50}, {0.20, 0.50}, {1.0, 0.50}}};
  return {{{0.50, 0.75}, {0.30, 0.60}, {0.25, 0.60}, {1.0, 0.60}}};  // cpu
}

}  // namespace mixq::forecast
