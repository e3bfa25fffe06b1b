#include "fixtures.h"

namespace mixq::forecast::testing {

std::string ValidDeviceJson() {
  return R"({
  "schema_version": 1,
  "name": "Test board",
  "kind": "cpu",
  "description": "a device for parser tests",
  "threads": 4,
  "memory": {
    "bandwidth_gbs": {"value": 17.1, "source": "LPDDR4X-4267 x 32 bit"},
    "capacity_gib": {"value": 8, "source": "product brief"}
  },
  "caches": [
    {"name": "L2", "capacity_mib": {"value": 2, "source": "TRM"}, "bandwidth_gbs": {"value": 100, "source": "guess"}}
  ],
  "peak_tops": {
    "f32": {"value": 0.1536, "source": "4 cores x 16 FLOP/cycle x 2.4 GHz"},
    "f16": 0.3072
  },
  "compute": {
    "matmul": {"default": "f32", "f16": "f16", "quantized": "f32"},
    "attention": "f32",
    "vector": "f32"
  },
  "runtime": {
    "activation_type": "f32",
    "fusion": {"qkv": false, "norm": false, "flash_attention": true, "swiglu": false},
    "overhead_us": {"per_op": {"value": 3, "source": "assumed"}, "per_pass": 0}
  },
  "efficiency": {
    "calibrated": false,
    "source": "mixq defaults for cpu",
    "matmul": {"compute": 0.5, "memory": 0.75},
    "attention": {"compute": 0.3, "memory": 0.6},
    "elementwise": {"compute": 0.25, "memory": 0.6},
    "data": {"memory": 0.6}
  }
}
)";
}

}  // namespace mixq::forecast::testing
