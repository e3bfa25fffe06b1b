#include "mixq/kernels/quant_act.h"

#include "mixq/base/parallel.h"

namespace mixq {

namespace {

// bias16 and xsum16 from sum16 and d (shared by every ISA: scalar, once per 16 elements).
void HalfTerms(int64_t k, int32_t offset, const ActivationRow& out) {
  for (int64_t g = 0; g < k / 16; ++g) {
    out.bias16[g] = -offset * out.sum16[g];
    out.xsum16[g] = out.d[g / 2] * static_cast<float>(out.sum16[g]);
  }
}

}  // namespace

void QuantizeActivationRowRef(const float* x, int64_t k, int32_t offset, const ActivationRow& out) {
  int8_t* q = out.qs;
  float* d = out.d;
  int32_t* bias = out.bias;
  int32_t* block_bias = out.block_bias;
  int32_t* sum16 = out.sum16;
  for (int64_t b = 0; b < k / 32; ++b) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) {
      const float a = x[b * 32 + i] < 0.0f ? -x[b * 32 + i] : x[b * 32 + i];
      amax = a > amax ? a : amax;
    }
    d[b] = amax / 127.0f;
    const float inv = d[b] > 0.0f ? 1.0f / d[b] : 0.0f;
    for (int i = 0; i < 32; ++i) {
      const float v = x[b * 32 + i] * inv;  // |v| <= 127
      q[b * 32 + i] = static_cast<int8_t>(v + (v < 0.0f ? -0.5f : 0.5f));
    }
    int32_t total = 0;
    for (int lane = 0; lane < 8; ++lane) {
      int32_t s = 0;
      for (int i = 0; i < 4; ++i) s += q[b * 32 + lane * 4 + i];
      bias[b * 8 + lane] = -offset * s;
      total += s;
    }
    block_bias[b] = -offset * total;
  }
  for (int64_t g = 0; g < k / 16; ++g) {
    int32_t s = 0;
    for (int i = 0; i < 16; ++i) s += q[g * 16 + i];
    sum16[g] = s;
  }
  HalfTerms(k, offset, out);
}

void QuantizeActivationHalfTerms(int64_t k, int32_t offset, const ActivationRow& out) { HalfTerms(k, offset, out); }

void QuantizeActivations(const Context& ctx, const float* x, int64_t n, int64_t k, int32_t offset,
                         QuantizedActivations* out) {
  const int64_t blocks = k / 32;
  out->n = n;
  out->k = k;
  out->offset = offset;
  auto grow = [](auto& v, int64_t size) {
    if (v.size() < static_cast<size_t>(size)) v.resize(static_cast<size_t>(size));
  };
  grow(out->qs, n * k);
  grow(out->d, n * blocks);
  grow(out->sum16, n * k / 16);
  grow(out->bias, n * blocks * 8);
  grow(out->block_bias, n * blocks);
  grow(out->bias16, n * k / 16);
  grow(out->xsum16, n * k / 16);
  const bool simd = ctx.isa == Isa::kAvx512 && IsaSupported(Isa::kAvx512);
  ParallelFor(ctx, n, 8, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const ActivationRow row{out->qs.data() + t * k,        out->d.data() + t * blocks,
                              out->sum16.data() + t * (k / 16), out->bias.data() + t * blocks * 8,
                              out->block_bias.data() + t * blocks, out->bias16.data() + t * (k / 16),
                              out->xsum16.data() + t * (k / 16)};
      (simd ? QuantizeActivationRowAvx512 : QuantizeActivationRowRef)(x + t * k, k, offset, row);
    }
  });
}

}  // namespace mixq
