// Registry of the ggml-compatible codecs (filled as each format lands).
#include "mixq/quant/codec.h"

namespace mixq {

QuantCodecList GgmlQuantCodecs() { return {nullptr, 0}; }

}  // namespace mixq
