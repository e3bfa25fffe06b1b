#include "mixq/kernels/packed.h"

#include <cstring>
#include <optional>

#include "mixq/base/parallel.h"
#include "mixq/base/status.h"
#include "mixq/kernels/matmul.h"
#include "mixq/quant/blocks.h"

namespace mixq {
namespace {

constexpr int64_t kGroup = PackedMatrix::kRowsPerGroup;

// Where a 32-element type keeps its fields in a file block, and how they map to a tile.
// Code plane j holds, for row r at bytes 4r..4r+3, the file's code bytes 4j..4j+3: for the
// 4-bit types those bytes already carry elements 4j+i (low nibble) and 16+4j+i (high nibble),
// which is the packed order; Q8_0 bytes get their sign bit flipped (code + 128). The bit
// plane gathers qh as 8 little-endian 64-bit masks: bit 4r+i of mask k is the high bit of row
// r's element 4k+i (the kernel uses mask k directly as a byte mask of group k).
struct Family32 {
  size_t file_bytes;
  int min_at;     // byte offset of the f16 min in the file block, or -1
  int qh_at;      // byte offset of the 32 high bits, or -1
  int qs_at;      // byte offset of the codes
  int planes;     // code planes: 4 (two 4-bit codes per byte) or 8 (bytes)
  uint8_t flip;   // xor applied to code bytes
  size_t header() const { return min_at >= 0 ? 64 : 32; }
  size_t tile_bytes() const { return header() + 64 * static_cast<size_t>(planes + (qh_at >= 0 ? 1 : 0)); }
};

std::optional<Family32> FamilyOf(DType type) {
  switch (type) {
    case DType::kQ4_0: return Family32{sizeof(BlockQ4_0), -1, -1, 2, 4, 0};
    case DType::kQ8_0: return Family32{sizeof(BlockQ8_0), -1, -1, 2, 8, 0x80};
    case DType::kQ4_1: return Family32{sizeof(BlockQ4_1), 2, -1, 4, 4, 0};
    case DType::kQ5_0: return Family32{sizeof(BlockQ5_0), -1, 2, 6, 4, 0};
    case DType::kQ5_1: return Family32{sizeof(BlockQ5_1), 2, 4, 8, 4, 0};
    case DType::kIQ4_NL: return Family32{sizeof(BlockIQ4_NL), -1, -1, 2, 4, 0};
    default: return std::nullopt;
  }
}

// Copies row r's fields of one file block into its tile (to_tile) or back (!to_tile).
void MoveRow(const Family32& f, int64_t r, uint8_t* tile, uint8_t* block, bool to_tile) {
  auto move = [to_tile](uint8_t& tile_byte, uint8_t& file_byte, uint8_t flip) {
    if (to_tile) tile_byte = file_byte ^ flip;
    else file_byte = tile_byte ^ flip;
  };
  for (int i = 0; i < 2; ++i) move(tile[2 * r + i], block[i], 0);  // f16 scale
  if (f.min_at >= 0)
    for (int i = 0; i < 2; ++i) move(tile[32 + 2 * r + i], block[f.min_at + i], 0);
  uint8_t* planes = tile + f.header();
  for (int j = 0; j < f.planes; ++j)
    for (int i = 0; i < 4; ++i) move(planes[j * 64 + r * 4 + i], block[f.qs_at + 4 * j + i], f.flip);
  if (f.qh_at < 0) return;
  uint8_t* masks = planes + 64 * f.planes;
  uint8_t* qh = block + f.qh_at;
  if (!to_tile) std::memset(qh, 0, 4);
  for (int e = 0; e < 32; ++e) {
    const int bit = static_cast<int>(r) * 4 + e % 4;  // of mask e / 4
    uint8_t& mask_byte = masks[8 * (e / 4) + bit / 8];
    if (to_tile) mask_byte |= static_cast<uint8_t>(((qh[e / 8] >> (e % 8)) & 1) << (bit % 8));
    else qh[e / 8] |= static_cast<uint8_t>(((mask_byte >> (bit % 8)) & 1) << (e % 8));
  }
}

}  // namespace

bool PackedLayoutExists(DType type) { return FamilyOf(type).has_value() || kernels::IsPackedKQuant(type); }

std::unique_ptr<PackedMatrix> PackMatrix(const Context& ctx, const WeightMatrix& w) {
  MIXQ_CHECK(PackedLayoutExists(w.type) && w.cols % 32 == 0);
  auto m = std::make_unique<PackedMatrix>();
  if (kernels::IsPackedKQuant(w.type)) {
    kernels::PackKQuantMatrix(ctx, w, m.get());
    return m;
  }
  const Family32 f = *FamilyOf(w.type);
  m->type = w.type;
  m->rows = w.rows;
  m->cols = w.cols;
  m->groups = (w.rows + kGroup - 1) / kGroup;
  m->block_bytes = f.tile_bytes();
  const int64_t blocks = w.cols / 32;
  m->data = AlignedArray<uint8_t>(static_cast<size_t>(m->groups * blocks) * m->block_bytes);  // zeroed
  PackedMatrix& out = *m;
  ParallelFor(ctx, m->groups, 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t b = 0; b < blocks; ++b) {
        uint8_t* tile = out.data.data() + static_cast<size_t>(g * blocks + b) * out.block_bytes;
        for (int64_t r = 0; r < kGroup && g * kGroup + r < w.rows; ++r) {
          const uint8_t* block =
              static_cast<const uint8_t*>(w.data) + static_cast<size_t>(g * kGroup + r) * w.row_bytes + b * f.file_bytes;
          MoveRow(f, r, tile, const_cast<uint8_t*>(block), true);  // reads the block only
        }
      }
  });
  return m;
}

void UnpackRow(const PackedMatrix& m, int64_t r, uint8_t* out) {
  const Family32 f = *FamilyOf(m.type);
  const int64_t blocks = m.cols / 32, g = r / kGroup;
  for (int64_t b = 0; b < blocks; ++b)
    MoveRow(f, r % kGroup, const_cast<uint8_t*>(m.tile(g, b)), out + b * f.file_bytes, false);  // writes `out` only
}

}  // namespace mixq
