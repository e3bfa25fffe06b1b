// safetensors reader/writer: round trip, and one test per malformed input, each checking the
// error names the file and the offending tensor or field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "io/io_test_util.h"

namespace mixq {
namespace {

using ::mixq::testing::SafetensorsBytes;
using ::mixq::testing::TempPath;
using ::mixq::testing::WriteStringToFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Writes `bytes` to a temp file and reads it back, expecting failure; returns the message.
std::string ReadError(const std::string& bytes, std::string* path_out = nullptr) {
  const std::string path = TempPath("bad.safetensors");
  WriteStringToFile(path, bytes);
  if (path_out) *path_out = path;
  Result<SafetensorsFile> r = ReadSafetensors(path);
  EXPECT_FALSE(r.ok()) << "expected an error for " << path;
  return r.ok() ? std::string() : r.message();
}

TEST(SafetensorsTest, WriteThenReadRoundTrips) {
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<uint16_t> b = {0x3f80, 0x4000, 0xbf80};
  std::vector<Tensor> tensors = {
      {"a.weight", DType::kF32, {2, 3}, a.data(), a.size() * 4},
      {"b.bias", DType::kBF16, {3}, b.data(), b.size() * 2},
  };
  const std::string path = TempPath("rt.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}}).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  Result<SafetensorsFile> r = ReadSafetensors(path);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->tensors.size(), 2u);  // __metadata__ is not a tensor
  EXPECT_EQ(r->tensors[0].name, "a.weight");
  EXPECT_EQ(r->tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r->tensors[0].dtype, DType::kF32);
  EXPECT_EQ(std::vector<float>(r->tensors[0].as<float>(), r->tensors[0].as<float>() + 6), a);
  EXPECT_EQ(r->tensors[1].dtype, DType::kBF16);
  EXPECT_EQ(r->tensors[1].as<uint16_t>()[2], 0xbf80);
  // The blob starts 8-byte aligned so f32 views are aligned.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r->tensors[0].data) % 8, 0u);
}

TEST(SafetensorsTest, WriterRejectsWrongByteCount) {
  SafetensorsWriter* raw = nullptr;
  Result<std::unique_ptr<SafetensorsWriter>> w =
      SafetensorsWriter::Create(TempPath("w.safetensors"), {{"x", DType::kF32, {4}, nullptr, 0}});
  ASSERT_TRUE(w.ok()) << w.message();
  raw = w->get();
  float v[3] = {};
  Status st = raw->WriteNext(v, sizeof(v));
  EXPECT_THAT(st.message(), AllOf(HasSubstr("'x'"), HasSubstr("got 12 bytes"), HasSubstr("needs 16")));
  EXPECT_THAT(raw->Finish().message(), HasSubstr("only 0 of 1 tensors written"));
}

TEST(SafetensorsTest, MissingFile) {
  const std::string path = TempPath("does-not-exist.safetensors");
  Result<SafetensorsFile> r = ReadSafetensors(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(path), HasSubstr("cannot open")));
}

TEST(SafetensorsTest, TooShortForHeaderLength) {
  std::string path;
  EXPECT_THAT(ReadError("abc", &path), AllOf(HasSubstr("[safetensors]"), HasSubstr(path), HasSubstr("too short")));
}

TEST(SafetensorsTest, HeaderLengthPastEndOfFile) {
  std::string bytes = SafetensorsBytes("{}", 0);
  const uint64_t lie = 1000;
  std::memcpy(bytes.data(), &lie, 8);
  std::string path;
  EXPECT_THAT(ReadError(bytes, &path),
              AllOf(HasSubstr(path), HasSubstr("header length 1000 past end of file (size 10)")));
}

TEST(SafetensorsTest, DataTruncated) {
  // 4 floats declared, only 8 bytes of data present.
  const std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 8), &path),
              AllOf(HasSubstr(path), HasSubstr("'w'"), HasSubstr("data offset 16 past end of file")));
}

TEST(SafetensorsTest, OffsetsPastEndOfFile) {
  const std::string header =
      R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
      R"("model.layers.3.mlp.up_proj.weight":{"dtype":"F16","shape":[2],"data_offsets":[1000,1004]}})";
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 8), &path),
              AllOf(HasSubstr(path), HasSubstr("'model.layers.3.mlp.up_proj.weight'"),
                    HasSubstr("data offset 1004 past end of file")));
}

TEST(SafetensorsTest, BeginAfterEnd) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})";
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 16)), AllOf(HasSubstr("'w'"), HasSubstr("begin after end")));
}

TEST(SafetensorsTest, OverlappingTensors) {
  const std::string header =
      R"({"first":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
      R"("second":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})";
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 16), &path),
              AllOf(HasSubstr(path), HasSubstr("'second'"), HasSubstr("overlaps 'first'")));
}

TEST(SafetensorsTest, UnsupportedDtypeNamed) {
  const std::string header = R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})";
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 16), &path),
              AllOf(HasSubstr(path), HasSubstr("'ids'"), HasSubstr("unsupported dtype 'I64'")));
}

TEST(SafetensorsTest, ByteSizeDoesNotMatchShape) {
  // shape [3] x BF16 = 6 bytes, offsets give 8.
  const std::string header = R"({"norm.weight":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}})";
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 8), &path),
              AllOf(HasSubstr(path), HasSubstr("'norm.weight'"), HasSubstr("hold 8 bytes"), HasSubstr("needs 6")));
}

TEST(SafetensorsTest, MalformedJsonHeader) {
  std::string path;
  EXPECT_THAT(ReadError(SafetensorsBytes(R"({"w": {"dtype": "F32",)", 0), &path),
              AllOf(HasSubstr(path), HasSubstr("malformed JSON header")));
}

TEST(SafetensorsTest, MissingShapeField) {
  const std::string header = R"({"w":{"dtype":"F32","data_offsets":[0,4]}})";
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 4)), AllOf(HasSubstr("'w'"), HasSubstr("missing 'shape'")));
}

TEST(SafetensorsTest, NegativeShapeRejected) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})";
  EXPECT_THAT(ReadError(SafetensorsBytes(header, 4)), AllOf(HasSubstr("'w'"), HasSubstr("'shape'")));
}

}  // namespace
}  // namespace mixq
