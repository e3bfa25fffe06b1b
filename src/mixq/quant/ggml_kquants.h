// The two super-block searches behind the K-quants. A 256-element super-block is split into
// sub-blocks, each with its own scale (and min), and those sub-block parameters are themselves
// quantized to a few bits against one f16 super-block scale:
//   scale + min (Q2_K, Q4_K, Q5_K): x[e] ~ (d * sc[s]) * q[e] - dmin * m[s], q in 0..qmax
//   scale only  (Q3_K, Q6_K):       x[e] ~ (d * sc[s]) * q[e], q and sc signed integers
// Steps: (1) each sub-block's float parameters by SearchScale / SearchScaleMin under the
// element weights; (2) the super-block scale(s) by SearchScale over the sub-block parameters,
// weighted by how much each parameter's error costs (sum w q^2 for a scale, sum w for a min);
// (3) each sub-block's integer (sc, m) polished by trying its neighbours against the real
// dequantized error; (4) every q rounded to nearest against the parameters as stored.
#pragma once

#include <cstdint>

namespace mixq::ggml {

struct ScaleMinShape {
  int sub_size;   // elements per sub-block (16 or 32)
  int qmax;       // q in 0..qmax
  int scale_max;  // sc and m in 0..scale_max
};

struct ScaleMinSuperBlock {
  uint16_t d = 0, dmin = 0;         // f16
  uint8_t sc[16] = {}, m[16] = {};  // per sub-block
  uint8_t q[256] = {};              // per element
};

// x{256}; w{256} or null (unit weights).
void QuantizeScaleMinSuperBlock(const ScaleMinShape& shape, const float* x, const float* w, ScaleMinSuperBlock* out);

struct ScaleShape {
  int sub_size;            // elements per sub-block (16)
  int q_lo, q_hi;          // quant values
  int scale_lo, scale_hi;  // sub-block scale values
};

struct ScaleSuperBlock {
  uint16_t d = 0;       // f16
  int8_t sc[16] = {};   // sub-block scale values, scale_lo..scale_hi
  int8_t q[256] = {};   // quant values, q_lo..q_hi
};

void QuantizeScaleSuperBlock(const ScaleShape& shape, const float* x, const float* w, ScaleSuperBlock* out);

}  // namespace mixq::ggml
