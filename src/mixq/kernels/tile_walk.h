// The order in which every matmul kernel visits its output tiles: token blocks of 32 (the
// activations stay in L1/L2) outside, RB x TB register tiles of (rows, tokens) inside, with
// narrower tiles (RB x 1, 1 x TB, 1 x 1) at the edges. `tile` is a lambda templated on the tile
// size: tile.template operator()<R, T>(row, token). Each ISA file instantiates this with its own
// lambda types, which have no linkage, so no instantiation compiled with one ISA's flags can be
// merged with another's.
#pragma once

#include <cstdint>

#include "mixq/kernels/matmul.h"

namespace mixq::kernels {

template <int RB, int TB, typename TileFn>
inline void WalkTiles(int64_t n_tokens, int64_t row_begin, int64_t row_end, TileFn&& tile) {
  constexpr int64_t kTokenBlock = kMatMulTokenBlock;
  for (int64_t tb = 0; tb < n_tokens; tb += kTokenBlock) {
    const int64_t te = tb + kTokenBlock < n_tokens ? tb + kTokenBlock : n_tokens;
    int64_t r = row_begin;
    for (; r + RB <= row_end; r += RB) {
      int64_t t = tb;
      for (; t + TB <= te; t += TB) tile.template operator()<RB, TB>(r, t);
      for (; t < te; ++t) tile.template operator()<RB, 1>(r, t);
    }
    for (; r < row_end; ++r) {
      int64_t t = tb;
      for (; t + TB <= te; t += TB) tile.template operator()<1, TB>(r, t);
      for (; t < te; ++t) tile.template operator()<1, 1>(r, t);
    }
  }
}

}  // namespace mixq::kernels

namespace mixq::kernels {

// The visiting order of the packed kernels (packed.h): token blocks of 32 outside, 16-row
// groups inside, TB tokens per tile (single tokens at the tail). tile.template
// operator()<T>(group, token, valid_rows) with valid_rows < 16 only for the last group.
template <int TB, typename TileFn>
inline void WalkPackedTiles(int64_t n_tokens, int64_t row_begin, int64_t row_end, TileFn&& tile) {
  constexpr int64_t kTokenBlock = kMatMulTokenBlock;
  for (int64_t tb = 0; tb < n_tokens; tb += kTokenBlock) {
    const int64_t te = tb + kTokenBlock < n_tokens ? tb + kTokenBlock : n_tokens;
    for (int64_t g = row_begin / 16; g * 16 < row_end; ++g) {
      const int valid = static_cast<int>(row_end - g * 16 < 16 ? row_end - g * 16 : 16);
      int64_t t = tb;
      for (; t + TB <= te; t += TB) tile.template operator()<TB>(g, t, valid);
      for (; t < te; ++t) tile.template operator()<1>(g, t, valid);
    }
  }
}

}  // namespace mixq::kernels
