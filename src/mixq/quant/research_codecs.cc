// Registry of the research-format codecs (filled as each format lands).
#include "mixq/quant/codec.h"

namespace mixq {

QuantCodecList ResearchQuantCodecs() { return {nullptr, 0}; }

}  // namespace mixq
