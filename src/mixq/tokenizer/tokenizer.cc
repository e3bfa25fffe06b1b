#include "mixq/tokenizer/tokenizer.h"

namespace mixq {

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  int32_t prev = add_bos() ? bos_id() : -1;
  for (int32_t id : ids) {
    out += DecodeNext(prev, id, !out.empty());
    prev = id;
  }
  return out;
}

}  // namespace mixq
