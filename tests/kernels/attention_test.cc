// Attention of one query head: every ISA against the scalar reference, on head sizes with and
// without vector tails and spans from 1 to long. The output is a convex combination of value
// rows, so the tolerance is relative to max |v| (the softmax weights differ by a few ulps from
// the reordered dot products).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/kernels/attention.h"

namespace mixq {
namespace {

TEST(Attention, EveryIsaMatchesReference) {
  Rng rng(8);
  for (int64_t hd : {8, 12, 16, 32, 64, 80, 128, 160}) {
    for (int64_t span : {1, 2, 17, 300}) {
      const int64_t stride = hd * 3;  // several heads per cached position
      std::vector<float> q(hd), k(span * stride), v(span * stride), scores(span), expected(hd), got(hd);
      for (float& x : q) x = rng.Normal();
      float vmax = 0;
      for (float& x : k) x = rng.Normal();
      for (float& x : v) vmax = std::max(vmax, std::fabs(x = rng.Normal()));
      const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
      kernels::AttendRef(q.data(), k.data(), v.data(), span, stride, hd, scale, scores.data(), expected.data());
      double sum = 0;
      for (float p : scores) sum += p;
      EXPECT_NEAR(sum, 1.0, 1e-5);
      for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
        if (!IsaSupported(isa)) continue;
        Attend(isa, q.data(), k.data(), v.data(), span, stride, hd, scale, scores.data(), got.data());
        for (int64_t i = 0; i < hd; ++i)
          ASSERT_NEAR(got[i], expected[i], 1e-5 * vmax * (1 + std::log2(static_cast<double>(span + hd))))
              << IsaName(isa) << " hd=" << hd << " span=" << span << " i=" << i;
      }
    }
  }
}

TEST(Attention, SingleKeyReturnsItsValue) {
  const std::vector<float> q = {1, 2, 3, 4}, k = {0.5f, 0.1f, 0, 2}, v = {7, -1, 3, 9};
  std::vector<float> scores(1), out(4);
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512}) {
    if (!IsaSupported(isa)) continue;
    Attend(isa, q.data(), k.data(), v.data(), 1, 4, 4, 0.5f, scores.data(), out.data());
    EXPECT_EQ(out, v) << IsaName(isa);
  }
}

}  // namespace
}  // namespace mixq
