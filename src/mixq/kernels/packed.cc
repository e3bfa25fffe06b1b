#include "mixq/kernels/packed.h"

#include <cstring>

#include "mixq/base/parallel.h"
#include "mixq/base/status.h"
#include "mixq/kernels/matmul.h"
#include "mixq/quant/blocks.h"

namespace mixq {
namespace {

constexpr int64_t kGroup = PackedMatrix::kRowsPerGroup;

size_t TileBytes(DType type) { return type == DType::kQ4_0 ? 32 + 4 * 64 : 32 + 8 * 64; }

// Plane j of a tile holds, for row r at bytes 4r..4r+3, the file block's code bytes 4j..4j+3:
// for Q4_0 those bytes already carry elements 4j+i (low nibble) and 16+4j+i (high nibble),
// which is the packed order; Q8_0 bytes get their sign bit flipped (code + 128).
constexpr size_t kScaleBytes = 2;  // f16 block scale at the start of a file block
int Planes(DType type) { return type == DType::kQ4_0 ? 4 : 8; }
uint8_t PlaneFlip(DType type) { return type == DType::kQ8_0 ? 0x80 : 0x00; }
size_t FileBlockBytes(DType type) { return type == DType::kQ4_0 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0); }

}  // namespace

bool PackedLayoutExists(DType type) {
  return type == DType::kQ4_0 || type == DType::kQ8_0 || kernels::IsPackedKQuant(type);
}

std::unique_ptr<PackedMatrix> PackMatrix(const Context& ctx, const WeightMatrix& w) {
  MIXQ_CHECK(PackedLayoutExists(w.type) && w.cols % 32 == 0);
  auto m = std::make_unique<PackedMatrix>();
  if (kernels::IsPackedKQuant(w.type)) {
    kernels::PackKQuantMatrix(ctx, w, m.get());
    return m;
  }
  m->type = w.type;
  m->rows = w.rows;
  m->cols = w.cols;
  m->groups = (w.rows + kGroup - 1) / kGroup;
  m->block_bytes = TileBytes(w.type);
  const int64_t blocks = w.cols / 32;
  m->data = AlignedArray<uint8_t>(static_cast<size_t>(m->groups * blocks) * m->block_bytes);  // zeroed
  const size_t file_block = FileBlockBytes(w.type);
  const int planes = Planes(w.type);
  const uint8_t flip = PlaneFlip(w.type);
  PackedMatrix& out = *m;
  ParallelFor(ctx, m->groups, 1, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t b = 0; b < blocks; ++b) {
        uint8_t* tile = out.data.data() + static_cast<size_t>(g * blocks + b) * out.block_bytes;
        for (int64_t r = 0; r < kGroup && g * kGroup + r < w.rows; ++r) {
          const uint8_t* block =
              static_cast<const uint8_t*>(w.data) + static_cast<size_t>(g * kGroup + r) * w.row_bytes + b * file_block;
          std::memcpy(tile + kScaleBytes * r, block, kScaleBytes);
          for (int j = 0; j < planes; ++j)
            for (int i = 0; i < 4; ++i) tile[32 + j * 64 + r * 4 + i] = block[kScaleBytes + 4 * j + i] ^ flip;
        }
      }
  });
  return m;
}

void UnpackRow(const PackedMatrix& m, int64_t r, uint8_t* out) {
  const int64_t blocks = m.cols / 32, g = r / kGroup, rr = r % kGroup;
  const size_t file_block = FileBlockBytes(m.type);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* tile = m.tile(g, b);
    uint8_t* block = out + b * file_block;
    std::memcpy(block, tile + kScaleBytes * rr, kScaleBytes);
    for (int j = 0; j < Planes(m.type); ++j)
      for (int i = 0; i < 4; ++i) block[kScaleBytes + 4 * j + i] = tile[32 + j * 64 + rr * 4 + i] ^ PlaneFlip(m.type);
  }
}

}  // namespace mixq
