// A device as the forecast sees it: peak operations per second per compute type, memory
// bandwidth (and optionally faster cache levels), the runtime's execution choices (activation
// type, fusion, per-launch overhead) and the efficiency factors (achievable fraction of peak)
// per operator class. Read from a JSON device file (schema in docs/forecast.md#device-files);
// every number there may carry its source: {"value": 120, "source": "LPDDR5X-7500 x 128 bit"}.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/forecast/ops.h"

namespace mixq::forecast {

// A memory level faster than DRAM; a pass whose working set fits runs at its bandwidth.
struct MemoryLevel {
  std::string name;           // "L2", "L3"
  double capacity_bytes = 0;  // total usable by the threads the device file describes
  double bandwidth = 0;       // bytes/s
};

// Achievable fractions of the peaks for one operator class. Per weight type (matmul_by_type)
// also the fixed costs of the type's kernel that do not scale with FLOPs or bytes (Op::outputs,
// Op::act_elements), added to the roofline time: seconds per dot product and per activation
// element quantized.
struct Efficiency {
  double compute = 1.0;
  double memory = 1.0;
  double per_output = 0;  // seconds per output element (weight row . activation row)
  double per_act = 0;     // seconds per input activation element
};
using Efficiencies = std::array<Efficiency, kNumOpClasses>;

struct Device {
  std::string name;
  std::string kind = "cpu";  // "cpu", "gpu" or "npu"
  std::string description;
  int64_t threads = 0;  // CPU: threads the numbers hold for (0: not stated)

  double memory_bandwidth = 0;  // bytes/s of main memory (DRAM, HBM)
  double memory_capacity = 0;   // bytes; 0: not stated
  std::vector<MemoryLevel> caches;  // ascending capacity

  std::map<std::string, double> peak;  // compute type ("f32", "f16", "bf16", "int8") -> ops/s
  // Compute type a matmul runs in, by weight type: key = a type name ("q4_K", "f16"), then
  // "quantized" for any block-quantized type, then "default".
  std::map<std::string, std::string> matmul_compute;
  std::string attention_compute = "f32";  // Q.K^T and P.V
  std::string vector_compute = "f32";     // elementwise ops

  ExecutionSpec exec;              // activation type, fusion
  double overhead_per_op = 0;      // seconds per kernel launch / parallel region
  double overhead_per_pass = 0;    // seconds per forward pass (graph build, sync, sampling loop)

  Efficiencies efficiency;
  // Matmul factors for particular weight types ("q4_0", "bf16"): each weight type runs its own
  // kernel (f32 FMA, bf16 conversion, 8-bit integer dot products with unpacking) and reaches its
  // own fraction of the compute type's peak. Types not listed use efficiency[matmul].
  std::map<std::string, Efficiency> matmul_type_efficiency;
  // Attention of decode passes (one new token per sequence), when it has its own factors: a
  // decode step streams each cached K/V row once per query head from memory, a prefill pass
  // re-reads rows that are hot in cache for every new token, so the two reach different
  // fractions of the peaks. Absent: decode attention uses efficiency[attention].
  std::optional<Efficiency> attention_decode;
  bool calibrated = false;         // efficiency fitted to measurements on this device
  std::string efficiency_source;   // where the efficiency factors come from

  std::map<std::string, std::string> sources;  // field path ("memory.bandwidth_gbs") -> source

  const std::string& ComputeTypeFor(const Op& op) const;
  double PeakFor(const Op& op) const;  // ops/s of the compute type the op runs in
  // The efficiency factors that apply to `op`: a matmul's weight-type entry, else its class's.
  const Efficiency& EfficiencyFor(const Op& op) const;
  // Which separately fitted factor set applies to `op`: a matmul's weight type ("q4_0") when
  // matmul_type_efficiency lists it, kAttentionDecodeKey for decode attention when
  // attention_decode is set, else "" (the class's factors).
  std::string FactorKey(const Op& op) const;
  // The factors of a key FactorKey returned ("" is not a key).
  const Efficiency& FactorsOf(const std::string& key) const;

};

inline constexpr const char* kAttentionDecodeKey = "attention_decode";

// Parses and validates a device file; errors read "[device] <source>: '<field>': <problem>".
Result<Device> ParseDevice(const std::string& json_text, const std::string& source);
Result<Device> LoadDevice(const std::string& path);
// The device file text (pretty JSON) that ParseDevice reads back to the same Device.
std::string DeviceToJson(const Device& device);

// Where device files are looked up by name: $MIXQ_DEVICES (`env_value`, may be empty), then
// ./devices, then devices/ beside or above the directory of the mixq binary (`exe_path`).
std::vector<std::string> DeviceSearchDirs(const std::string& env_value, const std::string& exe_path);
// A device given as a path, or as a name ("raspberry-pi-5") found as <dir>/<name>.json.
// The error lists every place tried.
Result<std::string> FindDeviceFile(const std::string& name_or_path, const std::vector<std::string>& dirs);

// mixq's starting efficiency factors for a device kind, before calibration
// (docs/forecast.md#default-efficiency-factors explains each).
Efficiencies DefaultEfficiencies(const std::string& kind);

}  // namespace mixq::forecast
