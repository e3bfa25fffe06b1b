// Scalar integer-dot kernels: the specification of the quantized matmul. Per output: for each
// 32-element block b, sumi = exact int32 dot of the signed weight codes with the activation
// codes; acc += (weight scale * activation scale[b]) * sumi, b ascending.
#include <cstring>

#include "mixq/base/half.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/blocks.h"

namespace mixq::kernels {

std::optional<int32_t> QuantKernelOffset(DType type) {
  switch (type) {
    case DType::kQ4_0: return 8;
    case DType::kQ8_0: return 128;
    // qkernels_kquant_*.cc: unsigned codes with mins need no zero point (offset 0).
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ2_K: case DType::kQ4_1: case DType::kQ5_1: return 0;
    case DType::kQ6_K: return 32;
    case DType::kQ3_K: return 4;
    case DType::kQ5_0: return 16;
    case DType::kIQ4_NL: return 128;  // codebook values -127..113 biased by 128, as Q8_0
    default: return std::nullopt;
  }
}

namespace {

// Signed codes and scale of one 32-element block.
struct Q4_0Ref {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static float Decode(const uint8_t* p, int8_t q[32]) {
    BlockQ4_0 b;
    std::memcpy(&b, p, sizeof b);
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>((b.qs[j] & 0xF) - 8);
      q[j + 16] = static_cast<int8_t>((b.qs[j] >> 4) - 8);
    }
    return F16ToFloat(b.d);
  }
};
struct Q8_0Ref {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static float Decode(const uint8_t* p, int8_t q[32]) {
    BlockQ8_0 b;
    std::memcpy(&b, p, sizeof b);
    std::memcpy(q, b.qs, 32);
    return F16ToFloat(b.d);
  }
};

template <typename W>
void Rows(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  const int64_t blocks = w.cols / 32;
  int8_t q[32];
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_bytes;
    for (int64_t t = 0; t < xq.n; ++t) {
      const int8_t* x = xq.row_qs(t);
      const float* dx = xq.row_d(t);
      float acc = 0.0f;
      for (int64_t b = 0; b < blocks; ++b) {
        const float dw = W::Decode(row + b * W::kBytes, q);
        int32_t sumi = 0;
        for (int i = 0; i < 32; ++i) sumi += q[i] * x[b * 32 + i];
        acc += dw * dx[b] * static_cast<float>(sumi);
      }
      y[t * w.rows + r] = acc;
    }
  }
}

}  // namespace

bool QuantRowsRef(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  switch (w.type) {
    case DType::kQ4_0: Rows<Q4_0Ref>(w, xq, y, r0, r1); return true;
    case DType::kQ8_0: Rows<Q8_0Ref>(w, xq, y, r0, r1); return true;
    default: return QuantRowsKQuantRef(w, xq, y, r0, r1);
  }
}

}  // namespace mixq::kernels
