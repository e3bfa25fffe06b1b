// Byte-level layout of the ggml block types: sizes against the dtype table, and blocks built
// byte by byte whose dequantized values are computed by hand from the documented bit positions
// (blocks.h). These pin the layouts to ggml's independently of mixq's quantizer.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "mixq/quant/blocks.h"
#include "mixq/quant/codec.h"

namespace mixq {
namespace {

// Dequantizes raw block bytes through the registered codec.
std::vector<float> Dequantize(DType type, const std::vector<uint8_t>& bytes) {
  const QuantCodec* codec = FindQuantCodec(type);
  EXPECT_NE(codec, nullptr) << DTypeName(type);
  const DTypeInfo& info = GetDTypeInfo(type);
  EXPECT_EQ(bytes.size() % info.block_bytes, 0u);
  const int64_t n = static_cast<int64_t>(bytes.size() / info.block_bytes) * info.block_size;
  std::vector<float> out(static_cast<size_t>(n), -999.0f);
  if (codec != nullptr) codec->dequantize_row(bytes.data(), out.data(), n);
  return out;
}

// f16 bit patterns of a few exact values (little-endian bytes written by the tests).
constexpr uint16_t kF16Half = 0x3800;     // 0.5
constexpr uint16_t kF16Quarter = 0x3400;  // 0.25
constexpr uint16_t kF16One = 0x3c00;      // 1.0
constexpr uint16_t kF16Two = 0x4000;      // 2.0

void PutF16(std::vector<uint8_t>& b, size_t at, uint16_t h) {
  b[at] = static_cast<uint8_t>(h & 0xff);
  b[at + 1] = static_cast<uint8_t>(h >> 8);
}

TEST(GgmlLayout, BlockSizesMatchDTypeTable) {
  struct Expect {
    DType type;
    size_t size;
    int64_t block;
    double bpw;
  };
  const Expect expect[] = {
      {DType::kQ4_0, sizeof(BlockQ4_0), 32, 4.5},       {DType::kQ4_1, sizeof(BlockQ4_1), 32, 5.0},
      {DType::kQ5_0, sizeof(BlockQ5_0), 32, 5.5},       {DType::kQ5_1, sizeof(BlockQ5_1), 32, 6.0},
      {DType::kQ8_0, sizeof(BlockQ8_0), 32, 8.5},       {DType::kIQ4_NL, sizeof(BlockIQ4_NL), 32, 4.5},
      {DType::kQ2_K, sizeof(BlockQ2_K), 256, 2.625},    {DType::kQ3_K, sizeof(BlockQ3_K), 256, 3.4375},
      {DType::kQ4_K, sizeof(BlockQ4_K), 256, 4.5},      {DType::kQ5_K, sizeof(BlockQ5_K), 256, 5.5},
      {DType::kQ6_K, sizeof(BlockQ6_K), 256, 6.5625},   {DType::kQ8_K, sizeof(BlockQ8_K), 256, 9.125},
  };
  for (const Expect& e : expect) {
    const DTypeInfo& info = GetDTypeInfo(e.type);
    EXPECT_EQ(info.block_bytes, e.size) << info.name;
    EXPECT_EQ(info.block_size, e.block) << info.name;
    EXPECT_DOUBLE_EQ(DTypeBitsPerWeight(e.type), e.bpw) << info.name;
    EXPECT_NE(FindQuantCodec(e.type), nullptr) << info.name;
  }
  // Field offsets that ggml's structs imply (no padding anywhere).
  EXPECT_EQ(offsetof(BlockQ5_0, qs), 6u);
  EXPECT_EQ(offsetof(BlockQ2_K, d), 80u);
  EXPECT_EQ(offsetof(BlockQ3_K, scales), 96u);
  EXPECT_EQ(offsetof(BlockQ3_K, d), 108u);
  EXPECT_EQ(offsetof(BlockQ4_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qs), 48u);
  EXPECT_EQ(offsetof(BlockQ6_K, scales), 192u);
  EXPECT_EQ(offsetof(BlockQ6_K, d), 208u);
  EXPECT_EQ(offsetof(BlockQ8_K, bsums), 260u);
}

TEST(GgmlLayout, Q8_0HandBuilt) {
  std::vector<uint8_t> b(34, 0);
  PutF16(b, 0, kF16Quarter);
  b[2 + 0] = 0x80;  // -128
  b[2 + 1] = 127;
  b[2 + 31] = 0xff;  // -1
  const std::vector<float> y = Dequantize(DType::kQ8_0, b);
  EXPECT_EQ(y[0], -32.0f);
  EXPECT_EQ(y[1], 31.75f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[31], -0.25f);
}

TEST(GgmlLayout, Q4_0HandBuilt) {
  std::vector<uint8_t> b(2 * 18, 0x88);  // two blocks; nibble 8 is zero
  PutF16(b, 0, kF16Half);
  b[2 + 0] = 0x1f;   // element 0: 15 - 8 = 7; element 16: 1 - 8 = -7
  b[2 + 15] = 0x80;  // element 15: 0 - 8 = -8; element 31: 8 - 8 = 0
  PutF16(b, 18, kF16Two);
  b[18 + 2 + 3] = 0xa0;  // second block, element 3: 0 - 8; element 19: 10 - 8 = 2
  const std::vector<float> y = Dequantize(DType::kQ4_0, b);
  EXPECT_EQ(y[0], 3.5f);
  EXPECT_EQ(y[16], -3.5f);
  EXPECT_EQ(y[15], -4.0f);
  EXPECT_EQ(y[31], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[32 + 3], -16.0f);
  EXPECT_EQ(y[32 + 19], 4.0f);
}

TEST(GgmlLayout, Q4_1HandBuilt) {
  std::vector<uint8_t> b(20, 0);
  PutF16(b, 0, kF16Half);
  PutF16(b, 2, 0xbc00);  // m = -1
  b[4 + 2] = 0xf3;       // element 2: 3 * 0.5 - 1; element 18: 15 * 0.5 - 1
  const std::vector<float> y = Dequantize(DType::kQ4_1, b);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[18], 6.5f);
}

TEST(GgmlLayout, Q5_0HandBuilt) {
  std::vector<uint8_t> b(22, 0);
  PutF16(b, 0, kF16One);
  b[2 + 0] = 0x01;  // qh bit 0: element 0 gets +16
  b[2 + 3] = 0x80;  // qh bit 31: element 31 gets +16
  b[6 + 0] = 0x2f;  // element 0: low 15 | 16 = 31 -> 15; element 16: 2 -> -14
  b[6 + 15] = 0x50;  // element 15: 0 -> -16; element 31: 5 | 16 = 21 -> 5
  const std::vector<float> y = Dequantize(DType::kQ5_0, b);
  EXPECT_EQ(y[0], 15.0f);
  EXPECT_EQ(y[16], -14.0f);
  EXPECT_EQ(y[15], -16.0f);
  EXPECT_EQ(y[31], 5.0f);
  EXPECT_EQ(y[1], -16.0f);
}

TEST(GgmlLayout, Q5_1HandBuilt) {
  std::vector<uint8_t> b(24, 0);
  PutF16(b, 0, kF16Quarter);
  PutF16(b, 2, kF16One);  // m = 1
  b[4 + 2] = 0x02;        // qh bit 17: element 17 gets +16
  b[8 + 1] = 0x3f;        // element 1: 15; element 17: 3 | 16 = 19
  const std::vector<float> y = Dequantize(DType::kQ5_1, b);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 15 * 0.25f + 1);
  EXPECT_EQ(y[17], 19 * 0.25f + 1);
}

TEST(GgmlLayout, IQ4_NLHandBuilt) {
  std::vector<uint8_t> b(18, 0x88);  // index 8 is the codebook's +1
  PutF16(b, 0, kF16Half);
  b[2 + 4] = 0xf0;  // element 4: index 0 = -127; element 20: index 15 = 113
  const std::vector<float> y = Dequantize(DType::kIQ4_NL, b);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[4], -63.5f);
  EXPECT_EQ(y[20], 56.5f);
}

// ---- K-quants: super-blocks of 256 with sub-block scales (see blocks.h for bit positions)

TEST(GgmlLayout, Q2_KHandBuilt) {
  std::vector<uint8_t> b(84, 0);
  b[0] = 0x21;       // sub-block 0: scale 1, min 2
  b[2] = 0x34;       // sub-block 2: scale 4, min 3
  b[5] = 0x0f;       // sub-block 5: scale 15, min 0
  b[12] = 0x11;      // sub-block 12: scale 1, min 1
  b[15] = 0x13;      // sub-block 15: scale 3, min 1
  b[16 + 0] = 0x07;  // element 0 (bits 0-1) = 3, element 32 (bits 2-3) = 1
  b[16 + 16] = 0x20;  // element 80 = 128*0 + 32*2 + 16: bits 4-5 of qs[16] = 2
  b[16 + 40] = 0x30;  // element 200 = 128 + 32*2 + 8: bits 4-5 of qs[32 + 8] = 3
  b[16 + 63] = 0xc0;  // element 255 = 128 + 32*3 + 31: bits 6-7 of qs[32 + 31] = 3
  PutF16(b, 80, kF16Half);     // d
  PutF16(b, 82, kF16Quarter);  // dmin
  const std::vector<float> y = Dequantize(DType::kQ2_K, b);
  EXPECT_EQ(y[0], 0.5f * 1 * 3 - 0.25f * 2);
  EXPECT_EQ(y[1], -0.5f);
  EXPECT_EQ(y[32], 0.5f * 4 * 1 - 0.25f * 3);
  EXPECT_EQ(y[80], 0.5f * 15 * 2);
  EXPECT_EQ(y[200], 0.5f * 1 * 3 - 0.25f);
  EXPECT_EQ(y[255], 0.5f * 3 * 3 - 0.25f);
}

TEST(GgmlLayout, Q3_KHandBuilt) {
  std::vector<uint8_t> b(110, 0);  // every scale stored 0 = value -32, every quant -4
  b[0] = 0x01;                     // hmask[0] bit 0: element 0 has its high bit
  b[31] = 0x80;                    // hmask[31] bit 7: element 255 = 128 + 96 + 31
  b[32 + 0] = 0x02;                // element 0 low bits 2 -> q = 2
  b[32 + 48] = 0x30;               // element 208 = 128 + 64 + 16: qs[48] bits 4-5 = 3, no high bit -> -1
  b[32 + 63] = 0x40;               // element 255: qs[63] bits 6-7 = 1 -> q = 1
  // Scales (stored 0..63, value = stored - 32): sub-block 0 = 33 (low 1, high 2),
  // 13 = 5 (low nibble in the high half of byte 5), 15 = 63 (byte 7 high nibble, byte 11 bits 6-7).
  b[96 + 0] = 0x01;
  b[96 + 5] = 0x50;
  b[96 + 7] = 0xf0;
  b[96 + 8] = 0x02;
  b[96 + 11] = 0xc0;
  PutF16(b, 108, kF16Half);
  const std::vector<float> y = Dequantize(DType::kQ3_K, b);
  EXPECT_EQ(y[0], 0.5f * 1 * 2);
  EXPECT_EQ(y[1], 0.5f * 1 * -4);
  EXPECT_EQ(y[100], 0.5f * -32 * -4);  // sub-block 6: scale -32
  EXPECT_EQ(y[208], 0.5f * -27 * -1);
  EXPECT_EQ(y[255], 0.5f * 31 * 1);
}

// The scale/min bytes shared by the Q4_K and Q5_K tests: sub-block 0 (scale 1, min 2),
// 5 (scale 40 = 0b101000, min 33 = 0b100001), 7 (scale 63, min 0); others 0.
void PutScaleMinK4(std::vector<uint8_t>& b) {
  b[4 + 0] = 0x01;   // scale 0
  b[4 + 1] = 0x80;   // top bits of scale 5 (= 2)
  b[4 + 3] = 0xc0;   // top bits of scale 7 (= 3)
  b[4 + 4] = 0x02;   // min 0
  b[4 + 5] = 0x80;   // top bits of min 5 (= 2)
  b[4 + 9] = 0x18;   // low nibbles of scale 5 (8) and min 5 (1)
  b[4 + 11] = 0x0f;  // low nibble of scale 7 (15)
  PutF16(b, 0, kF16Half);     // d
  PutF16(b, 2, kF16Quarter);  // dmin
}

TEST(GgmlLayout, Q4_KHandBuilt) {
  std::vector<uint8_t> b(144, 0);
  PutScaleMinK4(b);
  b[16 + 0] = 0x03;    // element 0: low nibble of qs[0]
  b[16 + 64] = 0x70;   // element 160 = 64*2 + 32: high nibble of qs[64]
  b[16 + 127] = 0xf0;  // element 255: high nibble of qs[127]
  const std::vector<float> y = Dequantize(DType::kQ4_K, b);
  EXPECT_EQ(y[0], 0.5f * 1 * 3 - 0.25f * 2);
  EXPECT_EQ(y[32], 0.0f);
  EXPECT_EQ(y[160], 0.5f * 40 * 7 - 0.25f * 33);
  EXPECT_EQ(y[161], -0.25f * 33);
  EXPECT_EQ(y[255], 0.5f * 63 * 15);
}

TEST(GgmlLayout, Q5_KHandBuilt) {
  std::vector<uint8_t> b(176, 0);
  PutScaleMinK4(b);
  b[16 + 0] = 0x20;    // qh[0] bit 5: element 160 (sub-block 5, l = 0) gets +16
  b[16 + 31] = 0x80;   // qh[31] bit 7: element 255 gets +16
  b[48 + 0] = 0x03;    // element 0
  b[48 + 64] = 0x70;   // element 160
  b[48 + 127] = 0xf0;  // element 255
  const std::vector<float> y = Dequantize(DType::kQ5_K, b);
  EXPECT_EQ(y[0], 0.5f * 1 * 3 - 0.25f * 2);
  EXPECT_EQ(y[160], 0.5f * 40 * 23 - 0.25f * 33);
  EXPECT_EQ(y[255], 0.5f * 63 * 31);
}

TEST(GgmlLayout, Q6_KHandBuilt) {
  std::vector<uint8_t> b(210, 0);  // every quant 0 - 32 = -32
  b[0] = 0x05;                     // element 0: low bits 5 in ql[0]
  b[112] = 0x01;                   // element 176 = 128 + 32 + 16: ql[64 + 32 + 16] low nibble
  b[127] = 0xf0;                   // element 255 = 128 + 96 + 31: ql[127] high nibble
  b[128 + 0] = 0x02;               // element 0: high bits 2 (qh[0] bits 0-1) -> q = 37 - 32 = 5
  b[128 + 48] = 0x04;              // element 176: qh[32 + 16] bits 2-3 = 1 -> q = 17 - 32
  b[128 + 63] = 0xc0;              // element 255: qh[63] bits 6-7 = 3 -> q = 63 - 32
  b[192 + 0] = 2;                  // scales (int8)
  b[192 + 5] = 0xfd;               // -3
  b[192 + 11] = 1;
  b[192 + 15] = 127;
  PutF16(b, 208, kF16Quarter);
  const std::vector<float> y = Dequantize(DType::kQ6_K, b);
  EXPECT_EQ(y[0], 0.25f * 2 * 5);
  EXPECT_EQ(y[1], 0.25f * 2 * -32);
  EXPECT_EQ(y[80], 0.25f * -3 * -32);
  EXPECT_EQ(y[176], 0.25f * 1 * -15);
  EXPECT_EQ(y[255], 0.25f * 127 * 31);
}

TEST(GgmlLayout, Q8_KHandBuilt) {
  std::vector<uint8_t> b(292, 0);
  b[3] = 0x3f;  // f32 0.5 = 0x3f000000, little-endian
  b[4 + 0] = 0x80;
  b[4 + 255] = 127;
  const std::vector<float> y = Dequantize(DType::kQ8_K, b);
  EXPECT_EQ(y[0], -64.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[255], 63.5f);
}

TEST(GgmlLayout, ScaleMinK4PackingRoundTrips) {
  uint8_t sc[8], m[8], packed[12];
  for (int v = 0; v < 64; ++v) {
    for (int j = 0; j < 8; ++j) {
      sc[j] = static_cast<uint8_t>((v + 7 * j) % 64);
      m[j] = static_cast<uint8_t>((63 - v + 5 * j) % 64);
    }
    PackScaleMinK4(sc, m, packed);
    for (int j = 0; j < 8; ++j) {
      uint8_t s2, m2;
      UnpackScaleMinK4(packed, j, &s2, &m2);
      ASSERT_EQ(s2, sc[j]);
      ASSERT_EQ(m2, m[j]);
    }
  }
  uint8_t q3[16];
  for (int s = 0; s < 16; ++s) q3[s] = static_cast<uint8_t>((s * 11 + 3) % 64);
  PackScalesQ3_K(q3, packed);
  for (int s = 0; s < 16; ++s) EXPECT_EQ(UnpackScaleQ3_K(packed, s), q3[s]);
}

}  // namespace
}  // namespace mixq
