// Registry of the ggml-compatible codecs: type-erased wrappers around the typed row functions
// of ggml_codecs.h, one entry per type.
#include "mixq/quant/ggml_codecs.h"

#include "mixq/quant/codec.h"

namespace mixq {
namespace {

template <typename Block, void (*kDequantize)(const Block*, float*, int64_t)>
void DequantizeErased(const void* src, float* dst, int64_t n) {
  kDequantize(static_cast<const Block*>(src), dst, n);
}

template <typename Block, void (*kQuantize)(const float*, Block*, int64_t, const float*)>
void QuantizeErased(const float* src, void* dst, int64_t n, const float* importance) {
  kQuantize(src, static_cast<Block*>(dst), n, importance);
}

template <typename Block, void (*kDequantize)(const Block*, float*, int64_t),
          void (*kQuantize)(const float*, Block*, int64_t, const float*)>
constexpr QuantCodec MakeCodec(DType type) {
  return QuantCodec{type, DequantizeErased<Block, kDequantize>, QuantizeErased<Block, kQuantize>};
}

constexpr QuantCodec kCodecs[] = {
    MakeCodec<BlockQ4_0, DequantizeRowQ4_0, QuantizeRowQ4_0>(DType::kQ4_0),
    MakeCodec<BlockQ4_1, DequantizeRowQ4_1, QuantizeRowQ4_1>(DType::kQ4_1),
    MakeCodec<BlockQ5_0, DequantizeRowQ5_0, QuantizeRowQ5_0>(DType::kQ5_0),
    MakeCodec<BlockQ5_1, DequantizeRowQ5_1, QuantizeRowQ5_1>(DType::kQ5_1),
    MakeCodec<BlockQ8_0, DequantizeRowQ8_0, QuantizeRowQ8_0>(DType::kQ8_0),
    MakeCodec<BlockQ2_K, DequantizeRowQ2_K, QuantizeRowQ2_K>(DType::kQ2_K),
    MakeCodec<BlockQ3_K, DequantizeRowQ3_K, QuantizeRowQ3_K>(DType::kQ3_K),
    MakeCodec<BlockQ4_K, DequantizeRowQ4_K, QuantizeRowQ4_K>(DType::kQ4_K),
    MakeCodec<BlockQ5_K, DequantizeRowQ5_K, QuantizeRowQ5_K>(DType::kQ5_K),
    MakeCodec<BlockQ6_K, DequantizeRowQ6_K, QuantizeRowQ6_K>(DType::kQ6_K),
    MakeCodec<BlockQ8_K, DequantizeRowQ8_K, QuantizeRowQ8_K>(DType::kQ8_K),
    MakeCodec<BlockIQ4_NL, DequantizeRowIQ4_NL, QuantizeRowIQ4_NL>(DType::kIQ4_NL),
};

}  // namespace

QuantCodecList GgmlQuantCodecs() { return {kCodecs, static_cast<int>(sizeof(kCodecs) / sizeof(kCodecs[0]))}; }

}  // namespace mixq
