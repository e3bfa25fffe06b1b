// Scalar integer-dot kernels of the K-quants (Q2_K..Q6_K) and the remaining 32-element types
// (IQ4_NL, Q4_1, Q5_0, Q5_1): the specification their SIMD kernels are tested against.
//
// Every type is seen as a sequence of 32-element activation blocks b (a K-quant super-block
// holds 8). For block b a type gives 32 signed integer codes q (value = dw_h * q - mw_h for
// the half h = 0 (elements 0..15) or 1 (16..31) of the block) and, per token with activation
// codes x, scale dx = d[b] and group sums s16 = sum16:
//   one scale per 32 elements (Q4_K, Q5_K, IQ4_NL, Q4_*, Q5_*, dw_0 == dw_1):
//     acc += (dw_0 * dx) * float(sum_{e<32} q[e] x[e])
//   one scale per 16 elements (Q6_K, Q3_K, Q2_K):
//     acc += (dw_0 * dx) * float(sum_{e<16} q[e] x[e]);  acc += (dw_1 * dx) * float(sum_{e>=16} ...)
//   mins (Q4_K, Q5_K, Q4_1, Q5_1 per 32 elements; Q2_K per 16; Q4_1/Q5_1 store +m, mw = -m):
//     the scale term of the group and its min term are combined first, with one rounding:
//     acc += fma(dw * dx, float(sum q x), -(mw * (dx * float(sum of the group's x codes))))
//     (the min term alone can be far larger than the result: combining them before the sum
//     keeps every order of the sum, i.e. every SIMD kernel, within rounding of the result).
// b ascending, then h. The integer sums are exact (|sum| < 2^24, so their conversion is too).
#include <cmath>
#include <cstring>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/kernels/quant_kernels.h"
#include "mixq/quant/blocks.h"

namespace mixq::kernels {
namespace {

struct Decoded {
  int8_t q[32];
  float dw[2];
  float mw[2] = {0.0f, 0.0f};
};

template <typename B>
B Load(const uint8_t* p) {
  B b;
  std::memcpy(&b, p, sizeof b);
  return b;
}

// Each type: kBytes per weight block, kBlocks activation blocks per weight block, kHalf (one
// scale per 16 elements), kMins, and Decode(weight block, activation block j in it).
struct Q4_KRef {
  static constexpr size_t kBytes = sizeof(BlockQ4_K);
  static constexpr int kBlocks = 8;
  static constexpr bool kHalf = false, kMins = true;
  static void Decode(const uint8_t* p, int j, Decoded* o) {
    const BlockQ4_K b = Load<BlockQ4_K>(p);
    uint8_t sc, m;
    UnpackScaleMinK4(b.scales, j, &sc, &m);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(CodeQ4_K(b, j, l));
    o->dw[0] = o->dw[1] = F16ToFloat(b.d) * sc;
    o->mw[0] = o->mw[1] = F16ToFloat(b.dmin) * m;
  }
};
struct Q5_KRef {
  static constexpr size_t kBytes = sizeof(BlockQ5_K);
  static constexpr int kBlocks = 8;
  static constexpr bool kHalf = false, kMins = true;
  static void Decode(const uint8_t* p, int j, Decoded* o) {
    const BlockQ5_K b = Load<BlockQ5_K>(p);
    uint8_t sc, m;
    UnpackScaleMinK4(b.scales, j, &sc, &m);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(CodeQ5_K(b, j, l));
    o->dw[0] = o->dw[1] = F16ToFloat(b.d) * sc;
    o->mw[0] = o->mw[1] = F16ToFloat(b.dmin) * m;
  }
};
struct Q6_KRef {
  static constexpr size_t kBytes = sizeof(BlockQ6_K);
  static constexpr int kBlocks = 8;
  static constexpr bool kHalf = true, kMins = false;
  static void Decode(const uint8_t* p, int j, Decoded* o) {
    const BlockQ6_K b = Load<BlockQ6_K>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(CodeQ6_K(b, j, l) - 32);
    const float d = F16ToFloat(b.d);
    o->dw[0] = d * b.scales[2 * j];
    o->dw[1] = d * b.scales[2 * j + 1];
  }
};
struct Q3_KRef {
  static constexpr size_t kBytes = sizeof(BlockQ3_K);
  static constexpr int kBlocks = 8;
  static constexpr bool kHalf = true, kMins = false;
  static void Decode(const uint8_t* p, int j, Decoded* o) {
    const BlockQ3_K b = Load<BlockQ3_K>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(CodeQ3_K(b, j, l) - 4);
    const float d = F16ToFloat(b.d);
    o->dw[0] = d * (UnpackScaleQ3_K(b.scales, 2 * j) - 32);
    o->dw[1] = d * (UnpackScaleQ3_K(b.scales, 2 * j + 1) - 32);
  }
};
struct Q2_KRef {
  static constexpr size_t kBytes = sizeof(BlockQ2_K);
  static constexpr int kBlocks = 8;
  static constexpr bool kHalf = true, kMins = true;
  static void Decode(const uint8_t* p, int j, Decoded* o) {
    const BlockQ2_K b = Load<BlockQ2_K>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(CodeQ2_K(b, j, l));
    const float d = F16ToFloat(b.d), dmin = F16ToFloat(b.dmin);
    for (int i = 0; i < 2; ++i) {
      o->dw[i] = d * (b.scales[2 * j + i] & 0xF);
      o->mw[i] = dmin * (b.scales[2 * j + i] >> 4);
    }
  }
};
// 32-element types: qs nibbles as Q4_0 (low nibble = element l, high = l + 16).
inline int Nibble(const uint8_t* qs, int l) { return l < 16 ? qs[l] & 0xF : qs[l - 16] >> 4; }
inline int HighBit(const uint8_t* qh, int l) { return ((qh[l / 8] >> (l % 8)) & 1) << 4; }
struct IQ4_NLRef {
  static constexpr size_t kBytes = sizeof(BlockIQ4_NL);
  static constexpr int kBlocks = 1;
  static constexpr bool kHalf = false, kMins = false;
  static void Decode(const uint8_t* p, int, Decoded* o) {
    const BlockIQ4_NL b = Load<BlockIQ4_NL>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = kIq4nlValues[Nibble(b.qs, l)];
    o->dw[0] = o->dw[1] = F16ToFloat(b.d);
  }
};
struct Q4_1Ref {
  static constexpr size_t kBytes = sizeof(BlockQ4_1);
  static constexpr int kBlocks = 1;
  static constexpr bool kHalf = false, kMins = true;
  static void Decode(const uint8_t* p, int, Decoded* o) {
    const BlockQ4_1 b = Load<BlockQ4_1>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(Nibble(b.qs, l));
    o->dw[0] = o->dw[1] = F16ToFloat(b.d);
    o->mw[0] = o->mw[1] = -F16ToFloat(b.m);
  }
};
struct Q5_0Ref {
  static constexpr size_t kBytes = sizeof(BlockQ5_0);
  static constexpr int kBlocks = 1;
  static constexpr bool kHalf = false, kMins = false;
  static void Decode(const uint8_t* p, int, Decoded* o) {
    const BlockQ5_0 b = Load<BlockQ5_0>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>((Nibble(b.qs, l) | HighBit(b.qh, l)) - 16);
    o->dw[0] = o->dw[1] = F16ToFloat(b.d);
  }
};
struct Q5_1Ref {
  static constexpr size_t kBytes = sizeof(BlockQ5_1);
  static constexpr int kBlocks = 1;
  static constexpr bool kHalf = false, kMins = true;
  static void Decode(const uint8_t* p, int, Decoded* o) {
    const BlockQ5_1 b = Load<BlockQ5_1>(p);
    for (int l = 0; l < 32; ++l) o->q[l] = static_cast<int8_t>(Nibble(b.qs, l) | HighBit(b.qh, l));
    o->dw[0] = o->dw[1] = F16ToFloat(b.d);
    o->mw[0] = o->mw[1] = -F16ToFloat(b.m);
  }
};

// Each weight row is decoded once, then dotted with every token (per output the order above).
template <typename W>
void KRows(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  const int64_t blocks = w.cols / 32;
  std::vector<Decoded> dec(static_cast<size_t>(blocks));
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * w.row_bytes;
    for (int64_t b = 0; b < blocks; ++b) W::Decode(row + (b / W::kBlocks) * W::kBytes, static_cast<int>(b % W::kBlocks), &dec[b]);
    for (int64_t t = 0; t < xq.n; ++t) {
      const int8_t* x = xq.row_qs(t);
      const float* dx = xq.row_d(t);
      const int32_t* s16 = xq.row_sum16(t);
      float acc = 0.0f;
      for (int64_t b = 0; b < blocks; ++b) {
        const Decoded& o = dec[b];
        int32_t lo = 0, hi = 0;
        for (int l = 0; l < 16; ++l) lo += o.q[l] * x[b * 32 + l];
        for (int l = 16; l < 32; ++l) hi += o.q[l] * x[b * 32 + l];
        if constexpr (W::kMins && W::kHalf) {
          acc += std::fma(o.dw[0] * dx[b], static_cast<float>(lo), -(o.mw[0] * (dx[b] * static_cast<float>(s16[2 * b]))));
          acc += std::fma(o.dw[1] * dx[b], static_cast<float>(hi), -(o.mw[1] * (dx[b] * static_cast<float>(s16[2 * b + 1]))));
        } else if constexpr (W::kMins) {
          const float xs = dx[b] * static_cast<float>(s16[2 * b] + s16[2 * b + 1]);
          acc += std::fma(o.dw[0] * dx[b], static_cast<float>(lo + hi), -(o.mw[0] * xs));
        } else if constexpr (W::kHalf) {
          acc += (o.dw[0] * dx[b]) * static_cast<float>(lo);
          acc += (o.dw[1] * dx[b]) * static_cast<float>(hi);
        } else {
          acc += (o.dw[0] * dx[b]) * static_cast<float>(lo + hi);
        }
      }
      y[t * w.rows + r] = acc;
    }
  }
}

}  // namespace

bool QuantRowsKQuantRef(const WeightMatrix& w, const QuantizedActivations& xq, float* y, int64_t r0, int64_t r1) {
  switch (w.type) {
    case DType::kQ4_K: KRows<Q4_KRef>(w, xq, y, r0, r1); return true;
    case DType::kQ5_K: KRows<Q5_KRef>(w, xq, y, r0, r1); return true;
    case DType::kQ6_K: KRows<Q6_KRef>(w, xq, y, r0, r1); return true;
    case DType::kQ3_K: KRows<Q3_KRef>(w, xq, y, r0, r1); return true;
    case DType::kQ2_K: KRows<Q2_KRef>(w, xq, y, r0, r1); return true;
    case DType::kIQ4_NL: KRows<IQ4_NLRef>(w, xq, y, r0, r1); return true;
    case DType::kQ4_1: KRows<Q4_1Ref>(w, xq, y, r0, r1); return true;
    case DType::kQ5_0: KRows<Q5_0Ref>(w, xq, y, r0, r1); return true;
    case DType::kQ5_1: KRows<Q5_1Ref>(w, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace mixq::kernels
