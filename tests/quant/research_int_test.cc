// Group-wise integer research formats: table entries, bit packing, hand-built blocks, RTN error
// bounds derived from the stored step, and how the error moves with bits, group size, symmetry
// and importance weighting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mixq/base/half.h"
#include "mixq/base/rng.h"
#include "mixq/quant/codec.h"
#include "mixq/quant/research_int.h"
#include "quant/research_test_data.h"

namespace mixq::research {
namespace {

using testdata::Dist;
using testdata::RoundTrip;

std::string Name(const IntGroupFormat& f) {
  return "int" + std::to_string(f.bits) + "_g" + std::to_string(f.group) + (f.asym ? "_asym" : "_sym");
}

TEST(ResearchInt, TableEntries) {
  const std::vector<IntGroupFormat> all = AllIntGroupFormats();
  ASSERT_EQ(all.size(), 36u);
  for (const IntGroupFormat& f : all) {
    SCOPED_TRACE(Name(f));
    const DTypeInfo* info = FindDType(static_cast<uint32_t>(f.type()));
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->name, Name(f));
    EXPECT_EQ(ParseDType(Name(f)), f.type());
    EXPECT_GE(static_cast<uint32_t>(f.type()), 1000u);
    EXPECT_EQ(info->block_size, f.group);
    EXPECT_EQ(info->block_bytes, static_cast<size_t>((f.asym ? 4 : 2) + f.group * f.bits / 8));
    EXPECT_TRUE(info->quantized);
    EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(f.type()), f.bits + (f.asym ? 32.0 : 16.0) / f.group);
    EXPECT_NE(FindQuantCodec(f.type()), nullptr);
    ASSERT_TRUE(IntGroupFormatOf(f.type()).has_value());
    EXPECT_EQ(IntGroupFormatOf(f.type())->block_bytes(), static_cast<int>(info->block_bytes));
  }
  EXPECT_EQ(static_cast<uint32_t>(IntGroupDType(4, 128, false)), 1044u);
  EXPECT_EQ(static_cast<uint32_t>(IntGroupDType(2, 64, true)), 1023u);
  EXPECT_EQ(IntGroupTypeId(7, 32, false), 0xffffffffu);
  EXPECT_EQ(IntGroupTypeId(4, 256, false), 0xffffffffu);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(IntGroupDType(3, 128, false)), 3.125);
  EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(IntGroupDType(2, 32, true)), 3.0);
  EXPECT_FALSE(IntGroupFormatOf(DType::kQ4_0).has_value());
}

// Bit e*b + k of the stream, read independently of UnpackCodes.
int StreamBit(const std::vector<uint8_t>& packed, int64_t bit) { return (packed[bit / 8] >> (bit % 8)) & 1; }

TEST(ResearchInt, PackingPutsCodeEAtBitsEbOnwardsLittleEndian) {
  Rng rng(7);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    SCOPED_TRACE(bits);
    const int64_t n = 64;
    std::vector<uint8_t> codes(n), packed(n * bits / 8), back(n);
    for (auto& c : codes) c = static_cast<uint8_t>(rng.NextU64() & ((1u << bits) - 1));
    PackCodes(codes.data(), n, bits, packed.data());
    for (int64_t e = 0; e < n; ++e) {
      int v = 0;
      for (int k = 0; k < bits; ++k) v |= StreamBit(packed, e * bits + k) << k;
      EXPECT_EQ(v, codes[e]) << "element " << e;
    }
    UnpackCodes(packed.data(), n, bits, back.data());
    EXPECT_EQ(back, codes);
  }
}

TEST(ResearchInt, HandBuilt3BitSymmetricBlock) {
  // d = 0.5; codes e0 = 5 (101), e1 = 3 (011), e2 = 6 (110), e31 = 7, every other code 0.
  // Stream bits 0..8 = 1,0,1, 1,1,0, 0,1,1 -> byte 0 = 0b10011101, byte 1 bit 0 = 1;
  // e31 is bits 93..95 = byte 11 bits 5..7.
  std::vector<uint8_t> block(14, 0);
  const uint16_t d = FloatToF16(0.5f);
  std::memcpy(block.data(), &d, 2);
  block[2 + 0] = 0x9d;
  block[2 + 1] = 0x01;
  block[2 + 11] = 0xe0;
  std::vector<float> y(32);
  FindQuantCodec(IntGroupDType(3, 32, false))->dequantize_row(block.data(), y.data(), 32);
  EXPECT_EQ(y[0], 0.5f);   // 0.5 * (5 - 4)
  EXPECT_EQ(y[1], -0.5f);  // 0.5 * (3 - 4)
  EXPECT_EQ(y[2], 1.0f);   // 0.5 * (6 - 4)
  for (int e = 3; e < 31; ++e) EXPECT_EQ(y[e], -2.0f) << e;  // code 0 = -2^(b-1) steps
  EXPECT_EQ(y[31], 1.5f);  // 0.5 * (7 - 4)
}

TEST(ResearchInt, HandBuilt5BitAsymmetricBlock) {
  // d = 0.25, m = -1; e0 = 17 (10001), e1 = 30 (11110), e31 = 31, others 0.
  // Stream bits 0..9 = 1,0,0,0,1, 0,1,1,1,1 -> byte 0 = 0b11010001, byte 1 = 0b11;
  // e31 is bits 155..159 = byte 19 bits 3..7.
  std::vector<uint8_t> block(24, 0);
  const uint16_t d = FloatToF16(0.25f), m = FloatToF16(-1.0f);
  std::memcpy(block.data(), &d, 2);
  std::memcpy(block.data() + 2, &m, 2);
  block[4 + 0] = 0xd1;
  block[4 + 1] = 0x03;
  block[4 + 19] = 0xf8;
  std::vector<float> y(32);
  FindQuantCodec(IntGroupDType(5, 32, true))->dequantize_row(block.data(), y.data(), 32);
  EXPECT_EQ(y[0], 3.25f);  // 0.25 * 17 - 1
  EXPECT_EQ(y[1], 6.5f);   // 0.25 * 30 - 1
  for (int e = 2; e < 31; ++e) EXPECT_EQ(y[e], -1.0f) << e;
  EXPECT_EQ(y[31], 6.75f);  // 0.25 * 31 - 1
}

// RTN: every element within half the stored step of its value (the directed f16 rounding of
// the scale and offset keeps every element inside the grid), up to float arithmetic.
TEST(ResearchInt, RtnErrorWithinHalfTheStoredStep) {
  for (Dist dist : {Dist::kGaussian, Dist::kHeavyTailed, Dist::kOutliers}) {
    const std::vector<float> x = testdata::Sample(dist, 128 * 16, 11, 0.05f, 0.01f);
    for (const IntGroupFormat& f : AllIntGroupFormats()) {
      SCOPED_TRACE(Name(f) + " " + testdata::DistName(dist));
      std::vector<uint8_t> q;
      const std::vector<float> y = RoundTrip(f.type(), x, nullptr, &q);
      for (size_t g = 0; g < x.size() / f.group; ++g) {
        uint16_t dh;
        std::memcpy(&dh, q.data() + g * f.block_bytes(), 2);
        const float step = std::fabs(F16ToFloat(dh));
        float amax = 0.0f;
        for (int i = 0; i < f.group; ++i) amax = std::max(amax, std::fabs(x[g * f.group + i]));
        const float bound = 0.5f * step + 1e-6f * amax;
        for (int i = 0; i < f.group; ++i) {
          const size_t e = g * f.group + i;
          ASSERT_LE(std::fabs(x[e] - y[e]), bound) << "element " << e;
        }
      }
    }
  }
}

double RtnRmse(int bits, int group, bool asym, const std::vector<float>& x) {
  return testdata::Rmse(x, RoundTrip(IntGroupDType(bits, group, asym), x, nullptr));
}

TEST(ResearchInt, RmseFallsWithMoreBitsAndSmallerGroups) {
  for (Dist dist : {Dist::kGaussian, Dist::kHeavyTailed, Dist::kOutliers}) {
    const std::vector<float> x = testdata::Sample(dist, 128 * 512, 3);
    for (bool asym : {false, true}) {
      SCOPED_TRACE(std::string(testdata::DistName(dist)) + (asym ? " asym" : " sym"));
      // Gaussian: each extra bit halves the step and so (nearly) the RMSE. With outliers most
      // values sit far below the step and round to 0 at low bits, so the gain per bit is less.
      const double factor = dist == Dist::kGaussian ? 1.5 : 1.0;
      const int bit_list[] = {2, 3, 4, 5, 6, 8};
      for (int group : {32, 64, 128})
        for (int i = 0; i + 1 < 6; ++i)
          EXPECT_GT(RtnRmse(bit_list[i], group, asym, x), factor * RtnRmse(bit_list[i + 1], group, asym, x))
              << bit_list[i] << " vs " << bit_list[i + 1] << " bits, group " << group;
      for (int bits : bit_list) {
        EXPECT_LT(RtnRmse(bits, 32, asym, x), RtnRmse(bits, 64, asym, x)) << bits;
        EXPECT_LT(RtnRmse(bits, 64, asym, x), RtnRmse(bits, 128, asym, x)) << bits;
      }
    }
  }
}

TEST(ResearchInt, AsymmetricBeatsSymmetricOnShiftedData) {
  const std::vector<float> x = testdata::Sample(Dist::kGaussian, 128 * 256, 5, 1.0f, 2.5f);
  for (int bits : {2, 3, 4, 5, 6, 8})
    for (int group : {32, 64, 128})
      EXPECT_LT(RtnRmse(bits, group, true, x), 0.8 * RtnRmse(bits, group, false, x)) << bits << " g" << group;
}

// The search includes RTN's parameters, so per group it can only lower the weighted error; over
// many groups it must lower it clearly.
TEST(ResearchInt, ImportanceSearchLowersTheWeightedError) {
  for (Dist dist : {Dist::kGaussian, Dist::kHeavyTailed}) {
    const std::vector<float> x = testdata::Sample(dist, 128 * 64, 21);
    const std::vector<float> w = testdata::Importance(x.size(), 22);
    for (const IntGroupFormat& f : AllIntGroupFormats()) {
      SCOPED_TRACE(Name(f) + " " + testdata::DistName(dist));
      const std::vector<float> rtn = RoundTrip(f.type(), x, nullptr);
      const std::vector<float> searched = RoundTrip(f.type(), x, w.data());
      for (size_t g = 0; g < x.size() / f.group; ++g) {
        const size_t b = g * f.group, e = b + f.group;
        const std::vector<float> xg(x.begin() + b, x.begin() + e), wg(w.begin() + b, w.begin() + e);
        const std::vector<float> rg(rtn.begin() + b, rtn.begin() + e), sg(searched.begin() + b, searched.begin() + e);
        ASSERT_LE(testdata::WeightedSse(xg, sg, wg), testdata::WeightedSse(xg, rg, wg) * (1 + 1e-9)) << "group " << g;
      }
      const double gain = testdata::WeightedSse(x, searched, w) / testdata::WeightedSse(x, rtn, w);
      EXPECT_LT(gain, f.bits <= 4 ? 0.85 : 0.95);
    }
  }
}

// Zero groups are exact everywhere; constant groups are exact asymmetric (d = 0, m = the value)
// and, symmetric, once the search may put the value at the long end of the grid.
TEST(ResearchInt, ZeroAndConstantGroupsAreExact) {
  for (const IntGroupFormat& f : AllIntGroupFormats()) {
    SCOPED_TRACE(Name(f));
    const std::vector<float> zeros(f.group, 0.0f), ones(f.group, 1.0f), w(f.group, 1.0f);
    EXPECT_EQ(RoundTrip(f.type(), zeros, nullptr), zeros);
    EXPECT_EQ(RoundTrip(f.type(), zeros, w.data()), zeros);
    if (f.asym) {
      EXPECT_EQ(RoundTrip(f.type(), ones, nullptr), ones);
    }
    EXPECT_EQ(RoundTrip(f.type(), ones, w.data()), ones);
  }
}

}  // namespace
}  // namespace mixq::research
