#include "mixq/quant/codec.h"

namespace mixq {

std::vector<const QuantCodec*> AllQuantCodecs() {
  std::vector<const QuantCodec*> all;
  for (QuantCodecList list : {GgmlQuantCodecs(), ResearchQuantCodecs()})
    for (int i = 0; i < list.count; ++i) all.push_back(&list.codecs[i]);
  return all;
}

const QuantCodec* FindQuantCodec(DType type) {
  for (QuantCodecList list : {GgmlQuantCodecs(), ResearchQuantCodecs()})
    for (int i = 0; i < list.count; ++i)
      if (list.codecs[i].type == type) return &list.codecs[i];
  return nullptr;
}

}  // namespace mixq
