#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mixq/base/rng.h"
#include "mixq/eval/kld.h"
#include "mixq/eval/logits_file.h"
#include "support/test_support.h"

namespace mixq::eval {
namespace {

using ::mixq::testing::ReadFileToString;
using ::mixq::testing::TempPath;
using ::mixq::testing::WriteStringToFile;

std::vector<float> RandomLogits(int64_t vocab, uint64_t seed, float scale) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(vocab));
  for (auto& x : v) x = scale * rng.Normal();
  return v;
}

LogitsHeader SmallHeader() {
  LogitsHeader h;
  h.n_ctx = 8;
  h.n_vocab = 50;
  h.n_chunks = 2;
  h.first_scored = 4;
  h.n_scored = 3;
  h.bos_id = 1;
  return h;
}

std::vector<int32_t> SmallTokens(const LogitsHeader& h) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < h.n_tokens(); ++i) t.push_back(static_cast<int32_t>((i * 7 + 3) % h.n_vocab));
  return t;
}

// Writes a complete file for SmallHeader(); returns the logits of each row, {n_rows, vocab}.
std::vector<std::vector<float>> WriteSmallFile(const std::string& path) {
  const LogitsHeader h = SmallHeader();
  auto writer = LogitsFileWriter::Create(path, h, SmallTokens(h));
  EXPECT_TRUE(writer.ok()) << writer.message();
  std::vector<std::vector<float>> rows;
  for (int64_t r = 0; r < h.n_rows(); ++r) {
    rows.push_back(RandomLogits(h.n_vocab, 100 + r, 3.0f));
    EXPECT_TRUE((*writer)->AppendRow(rows.back().data(), static_cast<int32_t>(r % h.n_vocab)).ok());
  }
  const Status finished = (*writer)->Finish();
  EXPECT_TRUE(finished.ok()) << finished.message();
  return rows;
}

TEST(LogitsRow, DequantizedLogProbsAreWithinHalfAStep) {
  const int64_t vocab = 4096;
  const std::vector<float> logits = RandomLogits(vocab, 1, 4.0f);
  std::vector<uint8_t> bytes(kLogitsRowHeaderBytes + 2 * vocab);
  EncodeLogProbRow(logits.data(), vocab, 17, bytes.data());
  const LogProbRow row = ParseLogProbRow(bytes.data());

  std::vector<double> exact(vocab), decoded(vocab);
  LogSoftmax(logits.data(), vocab, exact.data());
  DecodeLogProbRow(row, vocab, decoded.data());
  EXPECT_EQ(row.top1, ArgMax(logits.data(), vocab));
  EXPECT_NEAR(row.target_lp, exact[17], 1e-5);
  EXPECT_NEAR(row.lp_max, exact[row.top1], 1e-5);
  EXPECT_GT(row.step, 0.0f);
  EXPECT_LE(row.step, kLogitsMaxRange / 65535.0 * 1.0001);
  double worst = 0.0;
  for (int64_t i = 0; i < vocab; ++i) worst = std::max(worst, std::fabs(decoded[i] - exact[i]));
  // Half a step of rounding plus the (tiny) renormalisation shift.
  EXPECT_LT(worst, 0.5 * row.step + 1e-5);
  // The quantization's effect on KLD is second order: far below anything measured.
  EXPECT_LT(KlDivergence(decoded.data(), exact.data(), vocab), 1e-7);
}

TEST(LogitsRow, InfiniteAndFarLogitsGoToTheFloor) {
  const std::vector<float> logits = {0.0f, -INFINITY, -1000.0f, -1.0f};
  std::vector<uint8_t> bytes(kLogitsRowHeaderBytes + 2 * logits.size());
  EncodeLogProbRow(logits.data(), 4, 3, bytes.data());
  const LogProbRow row = ParseLogProbRow(bytes.data());
  EXPECT_NEAR(row.step, kLogitsMaxRange / 65535.0, 1e-9);
  std::vector<double> lp(4);
  DecodeLogProbRow(row, 4, lp.data());
  EXPECT_NEAR(lp[1] - lp[0], -kLogitsMaxRange, 1e-3);
  EXPECT_NEAR(lp[2] - lp[0], -kLogitsMaxRange, 1e-3);
  EXPECT_NEAR(lp[3] - lp[0], -1.0, 1e-3);
  EXPECT_TRUE(std::isfinite(lp[1]));
}

TEST(LogitsRow, UniformRowHasZeroStep) {
  const std::vector<float> logits(10, 2.5f);
  std::vector<uint8_t> bytes(kLogitsRowHeaderBytes + 20);
  EncodeLogProbRow(logits.data(), 10, 0, bytes.data());
  const LogProbRow row = ParseLogProbRow(bytes.data());
  EXPECT_EQ(row.step, 0.0f);
  std::vector<double> lp(10);
  DecodeLogProbRow(row, 10, lp.data());
  for (double x : lp) EXPECT_NEAR(x, -std::log(10.0), 1e-12);
}

TEST(LogitsFile, RoundTrip) {
  const std::string path = TempPath("base.logits");
  const auto rows = WriteSmallFile(path);
  EXPECT_FALSE(std::fopen((path + ".tmp." + std::to_string(::getpid())).c_str(), "rb"));

  auto file = LogitsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.message();
  const LogitsHeader h = SmallHeader();
  EXPECT_EQ(file->header().n_ctx, h.n_ctx);
  EXPECT_EQ(file->header().n_vocab, h.n_vocab);
  EXPECT_EQ(file->header().n_chunks, h.n_chunks);
  EXPECT_EQ(file->header().first_scored, h.first_scored);
  EXPECT_EQ(file->header().n_scored, h.n_scored);
  EXPECT_EQ(file->header().bos_id, h.bos_id);
  EXPECT_EQ(file->TokenVector(), SmallTokens(h));
  EXPECT_EQ(ReadFileToString(path).size(), kLogitsHeaderBytes + 4 * 16 + 6 * (16 + 2 * 50));

  std::vector<uint8_t> expected(h.row_bytes());
  for (int64_t c = 0; c < h.n_chunks; ++c) {
    for (int64_t s = 0; s < h.n_scored; ++s) {
      const int64_t r = c * h.n_scored + s;
      EncodeLogProbRow(rows[r].data(), h.n_vocab, static_cast<int32_t>(r), expected.data());
      const LogProbRow row = file->Row(c, s);
      EXPECT_EQ(0, std::memcmp(row.q, expected.data() + kLogitsRowHeaderBytes, 2 * h.n_vocab)) << r;
      EXPECT_EQ(row.top1, ParseLogProbRow(expected.data()).top1);
      EXPECT_EQ(row.target_lp, ParseLogProbRow(expected.data()).target_lp);
    }
  }
}

TEST(LogitsFile, UnfinishedWriterLeavesNothing) {
  const std::string path = TempPath("unfinished.logits");
  const LogitsHeader h = SmallHeader();
  {
    auto writer = LogitsFileWriter::Create(path, h, SmallTokens(h));
    ASSERT_TRUE(writer.ok());
    const auto logits = RandomLogits(h.n_vocab, 1, 1.0f);
    ASSERT_TRUE((*writer)->AppendRow(logits.data(), 0).ok());
    const Status s = (*writer)->Finish();  // 1 of 6 rows
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("1 rows written"), std::string::npos) << s.message();
  }
  EXPECT_FALSE(LogitsFile::Open(path).ok());
  EXPECT_FALSE(std::fopen((path + ".tmp." + std::to_string(::getpid())).c_str(), "rb"));
}

TEST(LogitsFile, WriterRejectsWrongTokenCountAndExtraRows) {
  const std::string path = TempPath("bad.logits");
  const LogitsHeader h = SmallHeader();
  EXPECT_FALSE(LogitsFileWriter::Create(path, h, {1, 2, 3}).ok());
  auto writer = LogitsFileWriter::Create(path, h, SmallTokens(h));
  ASSERT_TRUE(writer.ok());
  const auto logits = RandomLogits(h.n_vocab, 1, 1.0f);
  EXPECT_FALSE((*writer)->AppendRow(logits.data(), 50).ok());  // target out of range
  for (int64_t r = 0; r < h.n_rows(); ++r) ASSERT_TRUE((*writer)->AppendRow(logits.data(), 0).ok());
  EXPECT_FALSE((*writer)->AppendRow(logits.data(), 0).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
}

void ExpectOpenFails(const std::string& path, const std::string& bytes, const std::string& needle) {
  WriteStringToFile(path, bytes);
  auto f = LogitsFile::Open(path);
  ASSERT_FALSE(f.ok()) << needle;
  EXPECT_NE(f.message().find(path), std::string::npos) << f.message();
  EXPECT_NE(f.message().find(needle), std::string::npos) << f.message();
}

TEST(LogitsFile, RejectsTruncatedAndCorruptFiles) {
  const std::string path = TempPath("good.logits");
  WriteSmallFile(path);
  const std::string good = ReadFileToString(path);
  const std::string bad = TempPath("corrupt.logits");

  ExpectOpenFails(bad, good.substr(0, good.size() - 1), "truncated");
  ExpectOpenFails(bad, good.substr(0, 20), "shorter than the 48-byte header");
  ExpectOpenFails(bad, good + "x", "header implies");
  std::string magic = good;
  magic[0] = 'X';
  ExpectOpenFails(bad, magic, "bad magic");
  std::string version = good;
  version[8] = 9;
  ExpectOpenFails(bad, version, "version 9");
  std::string scored = good;
  scored[32] = 5;  // n_scored must be n_ctx - 1 - n_ctx/2 = 3
  ExpectOpenFails(bad, scored, "n_scored");
  std::string token = good;
  token[kLogitsHeaderBytes] = 60;  // tokens[0] = 60 >= n_vocab 50
  ExpectOpenFails(bad, token, "tokens[0]");
  EXPECT_FALSE(LogitsFile::Open(TempPath("missing.logits")).ok());
}

TEST(LogitsFile, CompatibilityNamesTheFileAndField) {
  const std::string path = TempPath("base.logits");
  WriteSmallFile(path);
  auto file = LogitsFile::Open(path);
  ASSERT_TRUE(file.ok());
  const LogitsHeader h = SmallHeader();
  const std::vector<int32_t> tokens = SmallTokens(h);
  EXPECT_TRUE(file->CheckCompatible(h, tokens).ok());

  LogitsHeader fewer = h;
  fewer.n_chunks = 1;  // a prefix of the baseline is fine
  EXPECT_TRUE(file->CheckCompatible(fewer, std::vector<int32_t>(tokens.begin(), tokens.begin() + 8)).ok());

  auto expect_error = [&](const LogitsHeader& run, const std::vector<int32_t>& t, const std::string& field) {
    const Status s = file->CheckCompatible(run, t);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
  };
  LogitsHeader ctx = h;
  ctx.n_ctx = 10, ctx.first_scored = 5, ctx.n_scored = 4;
  expect_error(ctx, tokens, "n_ctx");
  LogitsHeader vocab = h;
  vocab.n_vocab = 51;
  expect_error(vocab, tokens, "n_vocab");
  LogitsHeader more = h;
  more.n_chunks = 3;
  expect_error(more, tokens, "n_chunks");
  LogitsHeader bos = h;
  bos.bos_id = -1;
  expect_error(bos, tokens, "bos_id");
  std::vector<int32_t> changed = tokens;
  changed[11] += 1;
  expect_error(h, changed, "tokens differ at index 11");
}

}  // namespace
}  // namespace mixq::eval
