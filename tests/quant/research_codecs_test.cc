// The research codec registry as a whole: every research type has a codec that round-trips
// multi-block rows deterministically, and the measured round-trip RMSE on Gaussian data (printed
// as the table in docs/formats-research.md) orders the types sensibly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "mixq/quant/codec.h"
#include "mixq/quant/research_int.h"
#include "quant/research_test_data.h"

namespace mixq::research {
namespace {

std::vector<DType> ResearchTypes() {
  std::vector<DType> types;
  for (const IntGroupFormat& f : AllIntGroupFormats()) types.push_back(f.type());
  for (DType t : {DType::kFp8E4M3G32, DType::kFp8E4M3G64, DType::kFp8E4M3G128, DType::kFp8E4M3PerChannel,
                  DType::kMxfp4G32, DType::kNvfp4G16})
    types.push_back(t);
  return types;
}

struct Measured {
  double rtn = 0.0;
  double searched = 0.0;  // importance = ones
};

Measured Measure(DType type, const std::vector<float>& x) {
  const std::vector<float> ones(x.size(), 1.0f);
  return {testdata::Rmse(x, testdata::RoundTrip(type, x, nullptr)), testdata::Rmse(x, testdata::RoundTrip(type, x, ones.data()))};
}

TEST(ResearchCodecs, EveryTypeIsRegisteredAndDeterministic) {
  const std::vector<DType> types = ResearchTypes();
  EXPECT_EQ(types.size(), 42u);
  int registered = 0;
  for (const QuantCodec* c : AllQuantCodecs()) registered += static_cast<uint32_t>(c->type) >= 1000u;
  EXPECT_EQ(registered, 42);
  const std::vector<float> x = testdata::Sample(testdata::Dist::kHeavyTailed, 512, 61);
  const std::vector<float> w = testdata::Importance(x.size(), 62);
  for (DType type : types) {
    SCOPED_TRACE(DTypeName(type));
    const QuantCodec* codec = FindQuantCodec(type);
    ASSERT_NE(codec, nullptr);
    EXPECT_EQ(codec->type, type);
    EXPECT_EQ(512 % GetDTypeInfo(type).block_size, 0);
    for (const float* importance : {static_cast<const float*>(nullptr), w.data()}) {
      std::vector<uint8_t> a(*DTypeBytes(type, 512), 0xaa), b(a.size(), 0x55);
      codec->quantize_row(x.data(), a.data(), 512, importance);
      codec->quantize_row(x.data(), b.data(), 512, importance);
      EXPECT_EQ(a, b);  // every byte written, and the same each time
    }
  }
}

// Prints the Gaussian round-trip RMSE table (sigma 1, 128 x 512 values) and checks that a search
// with unit importance never loses to RTN.
TEST(ResearchCodecs, GaussianRoundTripRmseTable) {
  const std::vector<float> x = testdata::Sample(testdata::Dist::kGaussian, 128 * 512, 71);
  std::printf("%-16s %7s %10s %10s\n", "type", "bpw", "rmse_rtn", "rmse_search");
  std::map<DType, Measured> results;
  for (DType type : ResearchTypes()) {
    const Measured m = Measure(type, x);
    results[type] = m;
    std::printf("%-16s %7.4f %10.6f %10.6f\n", DTypeName(type), DTypeBitsPerWeight(type), m.rtn, m.searched);
    EXPECT_LE(m.searched, m.rtn * (1 + 1e-9)) << DTypeName(type);
  }
  // On Gaussian data FP8 E4M3 (3 mantissa bits) lands near INT6, well short of INT8; NVFP4's
  // finer blocks and E4M3 scales beat MXFP4's power-of-two scales.
  EXPECT_LT(results[DType::kFp8E4M3G32].rtn, results[IntGroupDType(5, 32, false)].rtn);
  EXPECT_GT(results[DType::kFp8E4M3G32].rtn, results[IntGroupDType(8, 32, false)].rtn);
  EXPECT_LT(results[DType::kNvfp4G16].rtn, results[DType::kMxfp4G32].rtn);
}

}  // namespace
}  // namespace mixq::research
