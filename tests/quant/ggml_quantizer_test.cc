// Properties of the ggml quantizers' parameter search (ggml_search.h), for every type in the
// codec table.
//
// Round to nearest: every element written is the representable value nearest to its input,
// given the block's stored scales, and inside the grid's range the error is at most half the
// local step (step / 2 for the uniform types, half the widest codebook gap for IQ4_NL). The
// representable values are found by writing each code into the element's bits with this
// file's own bit writer (an independent reading of blocks.h) and dequantizing, which also
// checks that every element's bits are where the layout says: writing one element's code
// changes no other element.
//
// Importance: with importance (e.g. per-input-channel activation energy) the codecs minimise
// sum_i importance_i * (x_i - y_i)^2. Block by block they keep whichever of the weighted search
// and plain RTN is better on that objective, so on every row the weighted error is never above
// RTN's, and with a skewed importance vector it is clearly lower on average.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/quant/codec.h"

namespace mixq {
namespace {

// Every type in the ggml codec table (ggml_codecs.cc).
std::vector<DType> GgmlTypes() {
  std::vector<DType> types;
  const QuantCodecList list = GgmlQuantCodecs();
  for (int i = 0; i < list.count; ++i) types.push_back(list.codecs[i].type);
  return types;
}

struct Quantized {
  std::vector<uint8_t> bytes;
  std::vector<float> values;
};

Quantized Quantize(DType type, const float* x, int64_t n, const float* importance) {
  const QuantCodec* codec = FindQuantCodec(type);
  Quantized q;
  q.bytes.resize(*DTypeBytes(type, n));
  q.values.resize(static_cast<size_t>(n));
  codec->quantize_row(x, q.bytes.data(), n, importance);
  codec->dequantize_row(q.bytes.data(), q.values.data(), n);
  return q;
}

// ---- round to nearest

// The codes an element of each type can hold: first_code..n_codes-1 (Q8_0/Q8_K exclude the
// int8 code -128, which mixq's quantizers never emit so SIMD kernels may negate codes).
struct CodeSpace {
  int first_code;
  int n_codes;
};

CodeSpace Codes(DType type) {
  switch (type) {
    case DType::kQ2_K: return {0, 4};
    case DType::kQ3_K: return {0, 8};
    case DType::kQ5_0: case DType::kQ5_1: case DType::kQ5_K: return {0, 32};
    case DType::kQ6_K: return {0, 64};
    case DType::kQ8_0: case DType::kQ8_K: return {1, 256};
    default: return {0, 16};
  }
}

void SetBits(uint8_t* byte, int shift, int width, int value) {
  const int mask = ((1 << width) - 1) << shift;
  *byte = static_cast<uint8_t>((*byte & ~mask) | ((value << shift) & mask));
}

// Writes `code` (unsigned, as stored: Q8 codes are int8 + 128) into element e of one block.
void WriteCode(DType type, uint8_t* b, int e, int code) {
  const int h = e / 128, j = (e % 128) / 32, l = e % 32;
  switch (type) {
    case DType::kQ4_0: case DType::kIQ4_NL: SetBits(&b[2 + e % 16], 4 * (e / 16), 4, code); return;
    case DType::kQ4_1: SetBits(&b[4 + e % 16], 4 * (e / 16), 4, code); return;
    case DType::kQ5_0:
      SetBits(&b[2 + e / 8], e % 8, 1, code >> 4);
      SetBits(&b[6 + e % 16], 4 * (e / 16), 4, code);
      return;
    case DType::kQ5_1:
      SetBits(&b[4 + e / 8], e % 8, 1, code >> 4);
      SetBits(&b[8 + e % 16], 4 * (e / 16), 4, code);
      return;
    case DType::kQ8_0: b[2 + e] = static_cast<uint8_t>(code - 128); return;
    case DType::kQ8_K: b[4 + e] = static_cast<uint8_t>(code - 128); return;
    case DType::kQ2_K: SetBits(&b[16 + 32 * h + l], 2 * j, 2, code); return;
    case DType::kQ3_K:
      SetBits(&b[32 + 32 * h + l], 2 * j, 2, code & 3);
      SetBits(&b[l], 4 * h + j, 1, code >> 2);
      return;
    case DType::kQ4_K: SetBits(&b[16 + 32 * (e / 64) + l], 4 * ((e / 32) % 2), 4, code); return;
    case DType::kQ5_K:
      SetBits(&b[16 + l], e / 32, 1, code >> 4);
      SetBits(&b[48 + 32 * (e / 64) + l], 4 * ((e / 32) % 2), 4, code);
      return;
    case DType::kQ6_K:
      SetBits(&b[64 * h + 32 * (j % 2) + l], 4 * (j / 2), 4, code);
      SetBits(&b[128 + 32 * h + l], 2 * j, 2, code >> 4);
      return;
    default: FAIL() << "no bit writer for " << DTypeName(type);
  }
}

class GgmlNearest : public ::testing::TestWithParam<DType> {};

TEST_P(GgmlNearest, EveryElementIsTheNearestRepresentableValue) {
  const DType type = GetParam();
  const QuantCodec* codec = FindQuantCodec(type);
  ASSERT_NE(codec, nullptr);
  const DTypeInfo& info = GetDTypeInfo(type);
  const int bs = static_cast<int>(info.block_size);
  const CodeSpace codes = Codes(type);
  Rng rng(11);
  for (const float outlier_scale : {1.0f, 30.0f}) {  // plain Gaussian, then with outliers
    const int n = 2 * 256;
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) x[i] = rng.Normal() * (i % 53 == 0 ? outlier_scale : 1.0f);
    for (const bool weighted : {false, true}) {
      std::vector<float> importance(n);
      for (float& v : importance) v = std::exp(2.0f * rng.Normal());
      const Quantized quantized = Quantize(type, x.data(), n, weighted ? importance.data() : nullptr);
      const std::vector<uint8_t>& blocks = quantized.bytes;
      const std::vector<float>& y = quantized.values;
      std::vector<float> alt(bs);
      for (int b = 0; b < n / bs; ++b) {
        const uint8_t* block = blocks.data() + b * info.block_bytes;
        std::vector<uint8_t> copy(block, block + info.block_bytes);
        for (int e = 0; e < bs; ++e) {
          std::vector<float> values;
          for (int code = codes.first_code; code < codes.n_codes; ++code) {
            WriteCode(type, copy.data(), e, code);
            codec->dequantize_row(copy.data(), alt.data(), bs);
            for (int k = 0; k < bs; ++k) {
              if (k == e) continue;
              ASSERT_EQ(alt[k], y[b * bs + k]) << "writing element " << e << " changed element " << k;
            }
            values.push_back(alt[e]);
          }
          std::memcpy(copy.data(), block, info.block_bytes);
          const float xi = x[b * bs + e], yi = y[b * bs + e];
          float nearest = values[0];
          for (float v : values)
            if (std::fabs(xi - v) < std::fabs(xi - nearest)) nearest = v;
          ASSERT_LE(std::fabs(xi - yi), std::fabs(xi - nearest) * (1 + 1e-6f) + 1e-30f)
              << DTypeName(type) << " element " << b * bs + e << " x " << xi << " y " << yi << " nearest " << nearest;
          // Inside the grid's range the error is at most half the gap around x.
          std::sort(values.begin(), values.end());
          if (xi < values.front() || xi > values.back()) continue;
          const auto above = std::lower_bound(values.begin(), values.end(), xi);
          const float gap = above == values.begin() ? 0.0f : *above - *(above - 1);
          ASSERT_LE(std::fabs(xi - yi), 0.5f * gap * (1 + 1e-6f) + 1e-30f) << DTypeName(type) << " element " << e;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgmlNearest, ::testing::ValuesIn(GgmlTypes()),
                         [](const auto& info) { return std::string(DTypeName(info.param)); });
// ---- importance

double WeightedError(const float* x, const std::vector<float>& y, const float* w) {
  double err = 0;
  for (size_t i = 0; i < y.size(); ++i) err += w[i] * (static_cast<double>(x[i]) - y[i]) * (x[i] - y[i]);
  return err;
}

class GgmlImportance : public ::testing::TestWithParam<DType> {};

TEST_P(GgmlImportance, NeverWorseThanRtnAndBetterOnAverage) {
  const DType type = GetParam();
  const int64_t rows = 48, cols = 1024;
  Rng rng(21);
  // One importance per input channel, shared by every row as diag(X^T X) is: log-normal, with
  // a few channels 100x hotter (the outlier channels of real activations).
  std::vector<float> importance(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c)
    importance[static_cast<size_t>(c)] = std::exp(1.5f * rng.Normal()) * (c % 61 == 0 ? 100.0f : 1.0f);
  double sum_ratio = 0;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> x(static_cast<size_t>(cols));
    for (float& v : x) v = rng.Normal() * (r % 2 == 0 ? 1.0f : 0.02f);  // two magnitudes of rows
    const double rtn = WeightedError(x.data(), Quantize(type, x.data(), cols, nullptr).values, importance.data());
    const double weighted =
        WeightedError(x.data(), Quantize(type, x.data(), cols, importance.data()).values, importance.data());
    ASSERT_LE(weighted, rtn) << DTypeName(type) << " row " << r;
    sum_ratio += weighted / rtn;
  }
  const double mean_ratio = sum_ratio / static_cast<double>(rows);
  EXPECT_LT(mean_ratio, 0.8) << DTypeName(type) << ": importance should lower the weighted error";
}

// Importance that is zero everywhere carries no information: the result is RTN's, byte for byte.
TEST_P(GgmlImportance, ZeroImportanceGivesRtn) {
  const DType type = GetParam();
  const int64_t n = 512;
  Rng rng(4);
  std::vector<float> x(static_cast<size_t>(n)), zero(static_cast<size_t>(n), 0.0f);
  for (float& v : x) v = rng.Normal();
  EXPECT_EQ(Quantize(type, x.data(), n, zero.data()).bytes, Quantize(type, x.data(), n, nullptr).bytes)
      << DTypeName(type);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgmlImportance, ::testing::ValuesIn(GgmlTypes()),
                         [](const auto& info) { return std::string(DTypeName(info.param)); });

}  // namespace
}  // namespace mixq
