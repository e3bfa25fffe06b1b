// Which storage type each weight tensor has: a uniform type, a per-tensor map (a mixed-precision
// plan), or both (the map overrides the default). The forecast needs only bits per weight, so a
// plan for a model far larger than this machine is just a few kilobytes of names and types.
//
// plan.json (schema_version 1, see docs/forecast.md):
//   {"schema_version": 1,
//    "default_type": "q4_K",                          optional: tensors not listed
//    "tensors": {"blk.0.attn_q.weight": "q6_K", ...}, canonical names (io/model_config.h)
//    "kv_type": "q8_0"}                               optional: KV-cache element type
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/io/model_config.h"
#include "mixq/tensor/dtype.h"

namespace mixq::forecast {

struct WeightTypes {
  DType default_type = DType::kF32;     // 2-D weight matrices not in per_tensor
  std::map<std::string, DType> per_tensor;  // canonical name -> type

  // The type of `name`: per_tensor if listed; else f32 for 1-D tensors (norm weights, biases),
  // which no runtime quantizes; else default_type.
  DType TypeOf(const std::string& name) const;
};

// A parsed plan.json: weight types plus the KV-cache type when the plan sets one.
struct Plan {
  WeightTypes weights;
  std::optional<DType> kv_type;
};

// Parses plan.json text; errors start with "[plan] <source>:" and name the field.
Result<Plan> ParsePlan(const std::string& json_text, const std::string& source);
Result<Plan> LoadPlan(const std::string& path);

// One weight tensor of a model: canonical name and element count.
struct TensorShape {
  std::string name;
  int64_t elements = 0;
};
// Every weight tensor the config implies (embedding, norms, projections, biases, head).
std::vector<TensorShape> ModelTensors(const ModelConfig& config);

// Errors if a per-tensor entry names a tensor the model does not have (a plan made for another
// model); `source` names the plan file.
Status CheckPlanMatchesModel(const WeightTypes& types, const ModelConfig& config, const std::string& source);

// Total bytes of all weights at their types (bits per weight x elements / 8).
double WeightBytes(const WeightTypes& types, const ModelConfig& config);

}  // namespace mixq::forecast
