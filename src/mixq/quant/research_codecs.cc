// Registry of the research-format codecs: the 36 group-wise integer types (research_int.h),
// FP8 E4M3 per group and per channel (research_fp8.h), MXFP4 and NVFP4 (research_fp4.h).
// The codec interface is a pair of plain function pointers per type, so each format's
// parameters are bound at compile time by the templates below.
#include <array>

#include "mixq/quant/codec.h"
#include "mixq/quant/research_fp4.h"
#include "mixq/quant/research_fp8.h"
#include "mixq/quant/research_int.h"

namespace mixq {
namespace {

using research::IntGroupFormat;

template <int kBits, int kGroup, bool kAsym>
void DequantizeInt(const void* src, float* dst, int64_t n) {
  research::DequantizeIntGroupRow(IntGroupFormat{kBits, kGroup, kAsym}, src, dst, n);
}

template <int kBits, int kGroup, bool kAsym>
void QuantizeInt(const float* src, void* dst, int64_t n, const float* importance) {
  research::QuantizeIntGroupRow(IntGroupFormat{kBits, kGroup, kAsym}, src, dst, n, importance);
}

template <int kGroup>
void DequantizeFp8(const void* src, float* dst, int64_t n) {
  research::DequantizeFp8GroupRow(kGroup, src, dst, n);
}

template <int kGroup>
void QuantizeFp8(const float* src, void* dst, int64_t n, const float* importance) {
  research::QuantizeFp8GroupRow(kGroup, src, dst, n, importance);
}

constexpr int kNumIntCodecs = 6 * 3 * 2;
constexpr int kNumCodecs = kNumIntCodecs + 6;

// The six codecs of one bit-width, in dtype-table order (group 32, 64, 128; sym, asym).
template <int kBits>
constexpr void AddIntCodecs(std::array<QuantCodec, kNumCodecs>& table, int& i) {
  table[i++] = {IntGroupDType(kBits, 32, false), &DequantizeInt<kBits, 32, false>, &QuantizeInt<kBits, 32, false>};
  table[i++] = {IntGroupDType(kBits, 32, true), &DequantizeInt<kBits, 32, true>, &QuantizeInt<kBits, 32, true>};
  table[i++] = {IntGroupDType(kBits, 64, false), &DequantizeInt<kBits, 64, false>, &QuantizeInt<kBits, 64, false>};
  table[i++] = {IntGroupDType(kBits, 64, true), &DequantizeInt<kBits, 64, true>, &QuantizeInt<kBits, 64, true>};
  table[i++] = {IntGroupDType(kBits, 128, false), &DequantizeInt<kBits, 128, false>, &QuantizeInt<kBits, 128, false>};
  table[i++] = {IntGroupDType(kBits, 128, true), &DequantizeInt<kBits, 128, true>, &QuantizeInt<kBits, 128, true>};
}

constexpr std::array<QuantCodec, kNumCodecs> MakeCodecs() {
  std::array<QuantCodec, kNumCodecs> table{};
  int i = 0;
  AddIntCodecs<2>(table, i);
  AddIntCodecs<3>(table, i);
  AddIntCodecs<4>(table, i);
  AddIntCodecs<5>(table, i);
  AddIntCodecs<6>(table, i);
  AddIntCodecs<8>(table, i);
  table[i++] = {DType::kFp8E4M3G32, &DequantizeFp8<32>, &QuantizeFp8<32>};
  table[i++] = {DType::kFp8E4M3G64, &DequantizeFp8<64>, &QuantizeFp8<64>};
  table[i++] = {DType::kFp8E4M3G128, &DequantizeFp8<128>, &QuantizeFp8<128>};
  table[i++] = {DType::kFp8E4M3PerChannel, &research::DequantizeFp8ChannelRow, &research::QuantizeFp8ChannelRow};
  table[i++] = {DType::kMxfp4G32, &research::DequantizeMxfp4Row, &research::QuantizeMxfp4Row};
  table[i++] = {DType::kNvfp4G16, &research::DequantizeNvfp4Row, &research::QuantizeNvfp4Row};
  return table;
}

constexpr std::array<QuantCodec, kNumCodecs> kCodecs = MakeCodecs();

}  // namespace

QuantCodecList ResearchQuantCodecs() { return {kCodecs.data(), static_cast<int>(kCodecs.size())}; }

}  // namespace mixq
