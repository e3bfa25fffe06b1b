#include "mixq/kernels/quant_act.h"

#include "mixq/base/parallel.h"

namespace mixq {

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
  ParallelFor(ctx, n, 8, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const float* xt = x + t * k;
      int8_t* q = out->qs.data() + t * k;
      for (int64_t b = 0; b < blocks; ++b) {
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) {
          const float a = xt[b * 32 + i] < 0.0f ? -xt[b * 32 + i] : xt[b * 32 + i];
          amax = a > amax ? a : amax;
        }
        const float d = amax / 127.0f;
        const float inv = d > 0.0f ? 1.0f / d : 0.0f;
        out->d[t * blocks + b] = d;
        for (int i = 0; i < 32; ++i) {
          const float v = xt[b * 32 + i] * inv;  // |v| <= 127
          q[b * 32 + i] = static_cast<int8_t>(v + (v < 0.0f ? -0.5f : 0.5f));
        }
        for (int lane = 0; lane < 8; ++lane) {
          int32_t s = 0;
          for (int i = 0; i < 4; ++i) s += q[b * 32 + lane * 4 + i];
          out->bias[(t * blocks + b) * 8 + lane] = -offset * s;
        }
      }
      for (int64_t g = 0; g < k / 16; ++g) {
        int32_t s = 0;
        for (int i = 0; i < 16; ++i) s += q[g * 16 + i];
        out->sum16[t * (k / 16) + g] = s;
      }
    }
  });
}

}  // namespace mixq
