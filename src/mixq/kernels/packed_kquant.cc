// Packing of Q4_K, Q5_K, Q6_K, Q3_K and Q2_K into the row-interleaved layout documented in packed.h.
#include <cstring>
#include <type_traits>

#include "mixq/base/half.h"
#include "mixq/base/parallel.h"
#include "mixq/base/status.h"
#include "mixq/kernels/matmul.h"
#include "mixq/kernels/packed.h"
#include "mixq/quant/blocks.h"

namespace mixq::kernels {
namespace {

constexpr int64_t kGroup = PackedMatrix::kRowsPerGroup;
constexpr size_t kScaleBytes = 32;  // per activation block: 2 x 16 bytes

// One file super-block's contents in the packed terms: unsigned codes of activation block j,
// the f16 super-block scales and the 2 scale bytes of each of the 8 blocks.
struct SuperBlock {
  uint16_t d = 0, dmin = 0;
  uint8_t scale[8][2] = {};  // per block: the two bytes stored for this row (see packed.h)
  uint8_t code[8][32] = {};  // unsigned codes (Q6_K: code + 32, Q3_K: code + 4)
};

// Q4_K and Q5_K share scales, mins and nibbles; Q5_K adds bit 4 of each code from qh.
template <typename Block>
SuperBlock ReadQ4OrQ5_K(const uint8_t* p) {
  Block b;
  std::memcpy(&b, p, sizeof b);
  SuperBlock s;
  s.d = b.d;
  s.dmin = b.dmin;
  for (int j = 0; j < 8; ++j) {
    UnpackScaleMinK4(b.scales, j, &s.scale[j][0], &s.scale[j][1]);
    for (int l = 0; l < 32; ++l) {
      if constexpr (std::is_same_v<Block, BlockQ5_K>) s.code[j][l] = static_cast<uint8_t>(CodeQ5_K(b, j, l));
      else s.code[j][l] = static_cast<uint8_t>(CodeQ4_K(b, j, l));
    }
  }
  return s;
}

SuperBlock ReadQ6_K(const uint8_t* p) {
  BlockQ6_K b;
  std::memcpy(&b, p, sizeof b);
  SuperBlock s;
  s.d = b.d;
  for (int j = 0; j < 8; ++j) {
    s.scale[j][0] = static_cast<uint8_t>(b.scales[2 * j]);
    s.scale[j][1] = static_cast<uint8_t>(b.scales[2 * j + 1]);
    for (int l = 0; l < 32; ++l) s.code[j][l] = static_cast<uint8_t>(CodeQ6_K(b, j, l));
  }
  return s;
}

SuperBlock ReadQ3_K(const uint8_t* p) {
  BlockQ3_K b;
  std::memcpy(&b, p, sizeof b);
  SuperBlock s;
  s.d = b.d;
  for (int j = 0; j < 8; ++j) {
    for (int h = 0; h < 2; ++h) s.scale[j][h] = static_cast<uint8_t>(static_cast<int8_t>(UnpackScaleQ3_K(b.scales, 2 * j + h) - 32));
    for (int l = 0; l < 32; ++l) s.code[j][l] = static_cast<uint8_t>(CodeQ3_K(b, j, l));
  }
  return s;
}

SuperBlock ReadQ2_K(const uint8_t* p) {
  BlockQ2_K b;
  std::memcpy(&b, p, sizeof b);
  SuperBlock s;
  s.d = b.d;
  s.dmin = b.dmin;
  for (int j = 0; j < 8; ++j) {
    s.scale[j][0] = b.scales[2 * j];
    s.scale[j][1] = b.scales[2 * j + 1];
    for (int l = 0; l < 32; ++l) s.code[j][l] = static_cast<uint8_t>(CodeQ2_K(b, j, l));
  }
  return s;
}

struct Layout {
  SuperBlock (*read)(const uint8_t*);
  size_t file_bytes;
  bool mins;
  int nibble_planes;  // 4 or 0
  int crumb_planes;   // 2 or 0
  int high_bit;       // the bit a bit plane supplies (Q5_K: 4, Q3_K: 2), or 0 for none
  int bit_planes() const { return high_bit ? 1 : 0; }
  size_t header() const { return mins ? 128 : 64; }
  size_t block() const { return kScaleBytes + 64 * static_cast<size_t>(nibble_planes + crumb_planes + bit_planes()); }
  size_t unit() const { return header() + 8 * block(); }
};

Layout LayoutOf(DType type) {
  switch (type) {
    case DType::kQ4_K: return {ReadQ4OrQ5_K<BlockQ4_K>, sizeof(BlockQ4_K), true, 4, 0, 0};
    case DType::kQ5_K: return {ReadQ4OrQ5_K<BlockQ5_K>, sizeof(BlockQ5_K), true, 4, 0, 4};
    case DType::kQ6_K: return {ReadQ6_K, sizeof(BlockQ6_K), false, 4, 2, 0};
    case DType::kQ3_K: return {ReadQ3_K, sizeof(BlockQ3_K), false, 0, 2, 2};
    default: return {ReadQ2_K, sizeof(BlockQ2_K), true, 0, 2, 0};
  }
}

// Row r (< 16) of super-block s into tile: header lanes, scale bytes, code planes.
void PlaceRow(const Layout& layout, const SuperBlock& s, int64_t r, uint8_t* tile) {
  const float d = F16ToFloat(s.d), dmin = F16ToFloat(s.dmin);
  std::memcpy(tile + 4 * r, &d, 4);
  if (layout.mins) std::memcpy(tile + 64 + 4 * r, &dmin, 4);
  for (int j = 0; j < 8; ++j) {
    uint8_t* blk = tile + layout.header() + j * layout.block();
    blk[r] = s.scale[j][0];
    blk[16 + r] = s.scale[j][1];
    uint8_t* planes = blk + kScaleBytes;
    for (int e = 0; e < 32; ++e) {
      const int g = e / 4, i = e % 4;
      const uint8_t c = s.code[j][e];
      if (layout.nibble_planes) planes[(g % 4) * 64 + r * 4 + i] |= static_cast<uint8_t>((c & 0xF) << (g < 4 ? 0 : 4));
      if (layout.crumb_planes) {
        const int crumb = (layout.nibble_planes ? c >> 4 : c) & 3;
        planes[64 * layout.nibble_planes + (g % 2) * 64 + r * 4 + i] |= static_cast<uint8_t>(crumb << (2 * (g / 2)));
      }
      if (layout.high_bit) {  // 8 x 64-bit masks, bit 4r+i of mask g (as in packed.cc)
        const int bit = static_cast<int>(r) * 4 + i;
        planes[64 * (layout.nibble_planes + layout.crumb_planes) + 8 * g + bit / 8] |=
            static_cast<uint8_t>(((c >> layout.high_bit) & 1) << (bit % 8));
      }
    }
  }
}

}  // namespace

bool IsPackedKQuant(DType type) {
  return type == DType::kQ4_K || type == DType::kQ5_K || type == DType::kQ6_K || type == DType::kQ3_K ||
         type == DType::kQ2_K;
}

void PackKQuantMatrix(const Context& ctx, const WeightMatrix& w, PackedMatrix* m) {
  MIXQ_CHECK(IsPackedKQuant(w.type) && w.cols % 256 == 0);
  const Layout layout = LayoutOf(w.type);
  m->type = w.type;
  m->rows = w.rows;
  m->cols = w.cols;
  m->groups = (w.rows + kGroup - 1) / kGroup;
  m->unit_cols = 256;
  m->block_bytes = layout.unit();
  const int64_t units = w.cols / 256;
  m->data = AlignedArray<uint8_t>(static_cast<size_t>(m->groups * units) * m->block_bytes);  // zeroed
  ParallelFor(ctx, m->groups, 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t u = 0; u < units; ++u) {
        uint8_t* tile = const_cast<uint8_t*>(m->tile(g, u));
        for (int64_t r = 0; r < kGroup && g * kGroup + r < w.rows; ++r) {
          const uint8_t* file = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(g * kGroup + r) * w.row_bytes +
                                u * layout.file_bytes;
          PlaceRow(layout, layout.read(file), r, tile);
        }
      }
  });
}

}  // namespace mixq::kernels
