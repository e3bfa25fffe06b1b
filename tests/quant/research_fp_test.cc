// Floating-point research formats: E4M3, E2M1 and E8M0 encodings against the OCP specs, hand-built
// FP8 / MXFP4 / NVFP4 blocks, saturation at the block maximum, relative error bounds, the
// two-level NVFP4 scale, and importance-weighted scale search.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/quant/codec.h"
#include "mixq/quant/research_fp4.h"
#include "mixq/quant/research_fp8.h"
#include "quant/research_test_data.h"

namespace mixq::research {
namespace {

using testdata::Dist;
using testdata::RoundTrip;

TEST(ResearchFp, TableEntries) {
  struct Expect {
    DType type;
    const char* name;
    int64_t block_size;
    size_t block_bytes;
    double bpw;
  };
  const Expect expected[] = {
      {DType::kFp8E4M3G32, "fp8_e4m3_g32", 32, 34, 8.5},      {DType::kFp8E4M3G64, "fp8_e4m3_g64", 64, 66, 8.25},
      {DType::kFp8E4M3G128, "fp8_e4m3_g128", 128, 130, 8.125}, {DType::kFp8E4M3PerChannel, "fp8_e4m3_pc", 128, 132, 8.25},
      {DType::kMxfp4G32, "mxfp4_g32", 32, 17, 4.25},          {DType::kNvfp4G16, "nvfp4_g16", 16, 9, 4.5},
  };
  for (const Expect& e : expected) {
    SCOPED_TRACE(e.name);
    const DTypeInfo& info = GetDTypeInfo(e.type);
    EXPECT_STREQ(info.name, e.name);
    EXPECT_EQ(info.block_size, e.block_size);
    EXPECT_EQ(info.block_bytes, e.block_bytes);
    EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(e.type), e.bpw);
    EXPECT_EQ(ParseDType(e.name), e.type);
    EXPECT_NE(FindQuantCodec(e.type), nullptr);
  }
}

TEST(ResearchFp, E4M3Encodings) {
  EXPECT_EQ(E4M3ToFloat(0x00), 0.0f);
  EXPECT_EQ(E4M3ToFloat(0x01), 0x1p-9f);       // smallest subnormal
  EXPECT_EQ(E4M3ToFloat(0x07), 7 * 0x1p-9f);   // largest subnormal
  EXPECT_EQ(E4M3ToFloat(0x08), 0x1p-6f);       // smallest normal
  EXPECT_EQ(E4M3ToFloat(0x38), 1.0f);          // 0.0111.000
  EXPECT_EQ(E4M3ToFloat(0x3c), 1.5f);          // 0.0111.100
  EXPECT_EQ(E4M3ToFloat(0x7e), 448.0f);        // 0.1111.110, the largest finite value
  EXPECT_EQ(E4M3ToFloat(0x78), 256.0f);        // 0.1111.000: exponent 15 is normal in E4M3
  EXPECT_EQ(E4M3ToFloat(0xfe), -448.0f);
  EXPECT_TRUE(std::isnan(E4M3ToFloat(0x7f)));  // S.1111.111 is the only NaN, no infinities
  EXPECT_TRUE(std::isnan(E4M3ToFloat(0xff)));
  EXPECT_TRUE(std::signbit(E4M3ToFloat(0x80)));

  EXPECT_EQ(FloatToE4M3(448.0f), 0x7e);
  EXPECT_EQ(FloatToE4M3(464.0f), 0x7e);  // saturating, not rounding up to NaN
  EXPECT_EQ(FloatToE4M3(1e9f), 0x7e);
  EXPECT_EQ(FloatToE4M3(-INFINITY), 0xfe);
  EXPECT_EQ(FloatToE4M3(NAN), kE4M3NaN);
  EXPECT_EQ(FloatToE4M3(0x1p-10f), 0x00);      // half the smallest subnormal: tie to even 0
  EXPECT_EQ(FloatToE4M3(3 * 0x1p-10f), 0x02);  // 1.5 units: tie to even 2
  EXPECT_EQ(FloatToE4M3(7.5f * 0x1p-9f), 0x08);  // rounds up into the first normal
  EXPECT_EQ(FloatToE4M3(1.0625f), 0x38);       // tie between 1 and 1.125: even mantissa
  EXPECT_EQ(FloatToE4M3(1.1875f), 0x3a);       // tie between 1.125 and 1.25: even mantissa
  EXPECT_EQ(FloatToE4M3(-0.0f), 0x80);
  EXPECT_EQ(FloatToE4M3(0x1p-12f), 0x00);      // underflow to zero
}

TEST(ResearchFp, EveryE4M3ValueRoundTripsExactly) {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7f) == 0x7f) continue;  // NaN
    const float v = E4M3ToFloat(static_cast<uint8_t>(c));
    EXPECT_EQ(FloatToE4M3(v), c) << c;
    EXPECT_EQ(RoundToE4M3(v), v);
  }
}

TEST(ResearchFp, E4M3RoundsToTheNearestValue) {
  // Brute force against the sorted value list: nearest, ties to the even code.
  std::vector<float> values;
  for (int c = 0; c < 0x7f; ++c) values.push_back(E4M3ToFloat(static_cast<uint8_t>(c)));
  for (float x = 0.0f; x < 460.0f; x = x * 1.0137f + 0x1p-12f) {
    const uint8_t code = FloatToE4M3(x);
    const float err = std::fabs(E4M3ToFloat(code) - x);
    for (float v : values) ASSERT_LE(err, std::fabs(v - x)) << x;
    EXPECT_EQ(FloatToE4M3(-x), code | 0x80);
  }
}

TEST(ResearchFp, E2M1AndE8M0) {
  const float magnitudes[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int c = 0; c < 16; ++c) {
    EXPECT_EQ(E2M1ToFloat(static_cast<uint8_t>(c)), (c & 8 ? -1 : 1) * magnitudes[c & 7]) << c;
    EXPECT_EQ(FloatToE2M1(E2M1ToFloat(static_cast<uint8_t>(c))), c) << c;
  }
  EXPECT_EQ(FloatToE2M1(0.25f), 0);   // tie: 0 (even)
  EXPECT_EQ(FloatToE2M1(0.75f), 2);   // tie: 1.0 (code 2, even)
  EXPECT_EQ(FloatToE2M1(1.25f), 2);   // tie: 1.0
  EXPECT_EQ(FloatToE2M1(1.75f), 4);   // tie: 2.0
  EXPECT_EQ(FloatToE2M1(2.5f), 4);    // tie: 2.0
  EXPECT_EQ(FloatToE2M1(3.5f), 6);    // tie: 4.0
  EXPECT_EQ(FloatToE2M1(5.0f), 6);    // tie: 4.0
  EXPECT_EQ(FloatToE2M1(5.01f), 7);
  EXPECT_EQ(FloatToE2M1(100.0f), 7);  // saturates at 6
  EXPECT_EQ(FloatToE2M1(-100.0f), 15);

  EXPECT_EQ(E8M0ToFloat(127), 1.0f);
  EXPECT_EQ(E8M0ToFloat(130), 8.0f);
  EXPECT_EQ(E8M0ToFloat(0), std::ldexp(1.0f, -127));
  EXPECT_EQ(E8M0ToFloat(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(E8M0ToFloat(255)));

  EXPECT_EQ(MxSharedExponent(1.0f), -2);   // 1 = 2^0: elements up to 6 * 2^-2 = 1.5
  EXPECT_EQ(MxSharedExponent(7.99f), 0);
  EXPECT_EQ(MxSharedExponent(8.0f), 1);
  EXPECT_EQ(MxSharedExponent(0.0f), -127);
  EXPECT_EQ(MxSharedExponent(1e-40f), -127);  // clamped to E8M0's range
}

TEST(ResearchFp, HandBuiltBlocks) {
  {  // fp8_e4m3_g32: f16 scale 0.5, codes 1.0, 448, 2^-9, -448, rest 0.
    std::vector<uint8_t> block(34, 0);
    const uint16_t s = FloatToF16(0.5f);
    std::memcpy(block.data(), &s, 2);
    block[2] = 0x38, block[3] = 0x7e, block[4] = 0x01, block[5] = 0xfe;
    std::vector<float> y(32);
    FindQuantCodec(DType::kFp8E4M3G32)->dequantize_row(block.data(), y.data(), 32);
    EXPECT_EQ(y[0], 0.5f);
    EXPECT_EQ(y[1], 224.0f);
    EXPECT_EQ(y[2], 0x1p-10f);
    EXPECT_EQ(y[3], -224.0f);
    EXPECT_EQ(y[31], 0.0f);
  }
  {  // fp8_e4m3_pc: two blocks, each f32 scale 2.0.
    std::vector<uint8_t> row(2 * 132, 0);
    const float s = 2.0f;
    std::memcpy(row.data(), &s, 4);
    std::memcpy(row.data() + 132, &s, 4);
    row[4] = 0x3c, row[132 + 4 + 127] = 0xb8;
    std::vector<float> y(256);
    FindQuantCodec(DType::kFp8E4M3PerChannel)->dequantize_row(row.data(), y.data(), 256);
    EXPECT_EQ(y[0], 3.0f);
    EXPECT_EQ(y[255], -2.0f);
  }
  {  // mxfp4_g32: X = 2^2; byte 1 = 0x71: e0 = 0.5, e1 = 6; byte 16 = 0xf8: e30 = -0, e31 = -6.
    std::vector<uint8_t> block(17, 0);
    block[0] = 129;
    block[1] = 0x71;
    block[16] = 0xf8;
    std::vector<float> y(32);
    FindQuantCodec(DType::kMxfp4G32)->dequantize_row(block.data(), y.data(), 32);
    EXPECT_EQ(y[0], 2.0f);
    EXPECT_EQ(y[1], 24.0f);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_TRUE(y[30] == 0.0f && std::signbit(y[30]));
    EXPECT_EQ(y[31], -24.0f);
  }
  {  // nvfp4_g16: E4M3 scale 1.5 (0x3c); byte 1 = 0x2f: e0 = -6, e1 = 1.
    std::vector<uint8_t> block(9, 0);
    block[0] = 0x3c;
    block[1] = 0x2f;
    block[8] = 0x53;
    std::vector<float> y(16);
    FindQuantCodec(DType::kNvfp4G16)->dequantize_row(block.data(), y.data(), 16);
    EXPECT_EQ(y[0], -9.0f);
    EXPECT_EQ(y[1], 1.5f);
    EXPECT_EQ(y[14], 2.25f);  // 1.5 * 1.5
    EXPECT_EQ(y[15], 4.5f);   // 1.5 * 3
  }
}

TEST(ResearchFp, MxSpecRuleSaturatesAtTheBlockMaximum) {
  // amax 7.5: spec exponent floor(log2 7.5) - 2 = 0, so X = 1 and everything above 6 saturates.
  std::vector<float> x(32, 0.0f);
  x[0] = 7.5f, x[1] = 6.5f, x[2] = -7.0f, x[3] = 5.9f, x[4] = 0.3f;
  std::vector<uint8_t> q;
  const std::vector<float> y = RoundTrip(DType::kMxfp4G32, x, nullptr, &q);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(y[0], 6.0f);
  EXPECT_EQ(y[1], 6.0f);
  EXPECT_EQ(y[2], -6.0f);
  EXPECT_EQ(y[3], 6.0f);
  EXPECT_EQ(y[4], 0.5f);
  // The search tries X = 2 too, which represents 7.5 as 8 and wins on this block.
  const std::vector<float> w(32, 1.0f);
  const std::vector<float> searched = RoundTrip(DType::kMxfp4G32, x, w.data(), &q);
  EXPECT_EQ(q[0], 128);
  EXPECT_EQ(searched[0], 8.0f);
}

TEST(ResearchFp, Nvfp4SaturatesWhenTheScaleRoundsDown) {
  // amax 5.4: scale 5.4 / 6 = 0.9 rounds to E4M3 0.875 (0x36), so 5.4 / 0.875 = 6.17 saturates
  // to code 6 and dequantizes to 5.25.
  std::vector<float> x(16, 0.0f);
  x[3] = 5.4f, x[4] = -5.3f, x[5] = 1.0f;
  std::vector<uint8_t> q;
  const std::vector<float> y = RoundTrip(DType::kNvfp4G16, x, nullptr, &q);
  EXPECT_EQ(q[0], 0x36);
  EXPECT_EQ(y[3], 5.25f);
  EXPECT_EQ(y[4], -5.25f);
  EXPECT_EQ(y[5], 0.875f);
}

// Per-element bounds of RTN: FP8 within half an E4M3 step of x / s (relative 2^-4 in the normal
// range, 2^-10 s absolute in the subnormal one); FP4 within a quarter of |x| or of the block scale
// (E2M1's half step), except MX elements beyond 6 X, which saturate.
TEST(ResearchFp, RtnErrorBounds) {
  for (Dist dist : {Dist::kGaussian, Dist::kHeavyTailed, Dist::kOutliers}) {
    SCOPED_TRACE(testdata::DistName(dist));
    const std::vector<float> x = testdata::Sample(dist, 128 * 32, 31, 0.7f);
    for (DType type : {DType::kFp8E4M3G32, DType::kFp8E4M3G64, DType::kFp8E4M3G128, DType::kFp8E4M3PerChannel}) {
      SCOPED_TRACE(DTypeName(type));
      const int64_t block = GetDTypeInfo(type).block_size, bytes = static_cast<int64_t>(GetDTypeInfo(type).block_bytes);
      std::vector<uint8_t> q;
      const std::vector<float> y = RoundTrip(type, x, nullptr, &q);
      for (size_t e = 0; e < x.size(); ++e) {
        const uint8_t* b = q.data() + (static_cast<int64_t>(e) / block) * bytes;
        float s;
        if (type == DType::kFp8E4M3PerChannel) {
          std::memcpy(&s, b, 4);
        } else {
          uint16_t h;
          std::memcpy(&h, b, 2);
          s = F16ToFloat(h);
        }
        ASSERT_LE(std::fabs(x[e] - y[e]), std::max(std::fabs(x[e]) * 0x1p-4f, s * 0x1p-10f) * 1.0001f) << e;
      }
    }
    for (DType type : {DType::kMxfp4G32, DType::kNvfp4G16}) {
      SCOPED_TRACE(DTypeName(type));
      const int64_t block = GetDTypeInfo(type).block_size, bytes = static_cast<int64_t>(GetDTypeInfo(type).block_bytes);
      std::vector<uint8_t> q;
      const std::vector<float> y = RoundTrip(type, x, nullptr, &q);
      for (size_t e = 0; e < x.size(); ++e) {
        const uint8_t code = q[(static_cast<int64_t>(e) / block) * bytes];
        const float s = type == DType::kMxfp4G32 ? E8M0ToFloat(code) : E4M3ToFloat(code);
        const float a = std::fabs(x[e]);
        if (a > 6.0f * s) {
          ASSERT_EQ(std::fabs(y[e]), 6.0f * s) << e;  // saturated at the block maximum
        } else {
          ASSERT_LE(std::fabs(x[e] - y[e]), std::max(a, s) * 0.25f * 1.0001f) << e;
        }
      }
    }
  }
}

TEST(ResearchFp, TwoLevelNvfp4KeepsSmallWeightsPrecise) {
  // Weights of scale 0.0005 need block scales below E4M3's smallest subnormal 2^-9 when t = 1
  // (most elements then round to 0); the per-tensor scale moves them back into the normal range.
  const std::vector<float> x = testdata::Sample(Dist::kGaussian, 16 * 256, 41, 0.0005f);
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(static_cast<size_t>(n / kNvfp4Block * kNvfp4BlockBytes));
  std::vector<float> folded(x.size()), scaled(x.size());
  QuantizeNvfp4Row(x.data(), q.data(), n, nullptr);
  DequantizeNvfp4Row(q.data(), folded.data(), n);
  const float t = Nvfp4TensorScale(x.data(), n);
  float amax = 0.0f;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  EXPECT_FLOAT_EQ(t, amax / (6.0f * 448.0f));
  QuantizeNvfp4RowScaled(x.data(), q.data(), n, t, nullptr);
  DequantizeNvfp4RowScaled(q.data(), scaled.data(), n, t);
  EXPECT_LT(testdata::Rmse(x, scaled), 0.3 * testdata::Rmse(x, folded));
  EXPECT_EQ(Nvfp4TensorScale(std::vector<float>(16, 0.0f).data(), 16), 1.0f);
}

TEST(ResearchFp, ImportanceSearchLowersTheWeightedError) {
  const std::vector<float> x = testdata::Sample(Dist::kHeavyTailed, 128 * 64, 51);
  const std::vector<float> w = testdata::Importance(x.size(), 52);
  for (DType type : {DType::kFp8E4M3G32, DType::kFp8E4M3G64, DType::kFp8E4M3G128, DType::kFp8E4M3PerChannel,
                     DType::kMxfp4G32, DType::kNvfp4G16}) {
    SCOPED_TRACE(DTypeName(type));
    const int64_t block = GetDTypeInfo(type).block_size;
    const std::vector<float> rtn = RoundTrip(type, x, nullptr);
    const std::vector<float> searched = RoundTrip(type, x, w.data());
    // Per-channel searches the whole row at once; the others never lose on a block.
    const int64_t unit = type == DType::kFp8E4M3PerChannel ? static_cast<int64_t>(x.size()) : block;
    for (size_t b = 0; b < x.size(); b += static_cast<size_t>(unit)) {
      const auto slice = [&](const std::vector<float>& v) {
        return std::vector<float>(v.begin() + b, v.begin() + b + unit);
      };
      ASSERT_LE(testdata::WeightedSse(slice(x), slice(searched), slice(w)),
                testdata::WeightedSse(slice(x), slice(rtn), slice(w)) * (1 + 1e-9));
    }
    EXPECT_LT(testdata::WeightedSse(x, searched, w), 0.97 * testdata::WeightedSse(x, rtn, w));
  }
}

TEST(ResearchFp, ZeroBlocksStayZero) {
  for (DType type : {DType::kFp8E4M3G32, DType::kFp8E4M3PerChannel, DType::kMxfp4G32, DType::kNvfp4G16}) {
    const std::vector<float> zeros(128, 0.0f), w(128, 1.0f);
    EXPECT_EQ(RoundTrip(type, zeros, nullptr), zeros) << DTypeName(type);
    EXPECT_EQ(RoundTrip(type, zeros, w.data()), zeros) << DTypeName(type);
  }
}

}  // namespace
}  // namespace mixq::research
