#include "mixq/tokenizer/normalizer.h"

#include "mixq/tokenizer/text_util.h"

namespace mixq::tok {

std::string Normalizer::Apply(std::string_view text) const {
  std::string out(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Kind::kReplace:
        if (!step.a.empty()) out = ReplaceAll(out, step.a, step.b);
        break;
      case Kind::kPrepend:
        if (!out.empty()) out = step.a + out;
        break;
    }
  }
  return out;
}

}  // namespace mixq::tok
