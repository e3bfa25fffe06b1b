// Device files: parsing, validation errors naming the file and field, round trip, and the
// files shipped in devices/.
#include <gtest/gtest.h>

#include <dirent.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/json_fields.h"

namespace mixq::forecast {
namespace {

using testing::ValidDeviceJson;

// Replaces the first occurrence of `from` in the valid file.
std::string Edit(const std::string& from, const std::string& to) {
  std::string text = ValidDeviceJson();
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

void ExpectError(const std::string& text, const std::string& field) {
  Result<Device> d = ParseDevice(text, "boards/test.json");
  ASSERT_FALSE(d.ok()) << "expected an error about " << field;
  EXPECT_NE(d.message().find("[device] boards/test.json"), std::string::npos) << d.message();
  EXPECT_NE(d.message().find(field), std::string::npos) << d.message();
}

TEST(DeviceFile, ParsesUnitsAndSources) {
  Result<Device> r = ParseDevice(ValidDeviceJson(), "test.json");
  ASSERT_TRUE(r.ok()) << r.message();
  const Device& d = *r;
  EXPECT_EQ(d.name, "Test board");
  EXPECT_EQ(d.threads, 4);
  EXPECT_DOUBLE_EQ(d.memory_bandwidth, 17.1e9);
  EXPECT_DOUBLE_EQ(d.memory_capacity, 8.0 * 1073741824);
  ASSERT_EQ(d.caches.size(), 1u);
  EXPECT_DOUBLE_EQ(d.caches[0].capacity_bytes, 2.0 * 1048576);
  EXPECT_DOUBLE_EQ(d.peak.at("f32"), 0.1536e12);
  EXPECT_DOUBLE_EQ(d.peak.at("f16"), 0.3072e12);
  EXPECT_EQ(d.sources.at("memory.bandwidth_gbs"), "LPDDR4X-4267 x 32 bit");
  EXPECT_EQ(d.sources.count("peak_tops.f16"), 0u);  // a bare number has no source
  EXPECT_TRUE(d.exec.fusion.flash_attention);
  EXPECT_DOUBLE_EQ(d.overhead_per_op, 3e-6);
  EXPECT_DOUBLE_EQ(d.efficiency[static_cast<int>(OpClass::kMatmul)].memory, 0.75);
  EXPECT_FALSE(d.calibrated);
  EXPECT_TRUE(CheckDevice(d).ok());
}

TEST(DeviceFile, ComputeTypeLookupOrder) {
  Device d = *ParseDevice(ValidDeviceJson(), "test.json");
  Op op;
  op.op_class = OpClass::kMatmul;
  op.weight_type = DType::kF16;
  EXPECT_EQ(d.ComputeTypeFor(op), "f16");  // exact type name
  op.weight_type = DType::kQ4_K;
  EXPECT_EQ(d.ComputeTypeFor(op), "f32");  // "quantized"
  op.weight_type = DType::kBF16;
  EXPECT_EQ(d.ComputeTypeFor(op), "f32");  // "default"
  op.op_class = OpClass::kAttention;
  EXPECT_EQ(d.ComputeTypeFor(op), "f32");
}

TEST(DeviceFile, MissingFieldNamesIt) {
  ExpectError(Edit(R"("bandwidth_gbs": {"value": 17.1, "source": "LPDDR4X-4267 x 32 bit"},)", ""),
              "'memory.bandwidth_gbs': missing");
}

TEST(DeviceFile, NegativeBandwidthNamesIt) {
  ExpectError(Edit(R"("value": 17.1)", R"("value": -17.1)"), "'memory.bandwidth_gbs': must be positive");
}

TEST(DeviceFile, TokenBlockMustBeAWholeNumber) {
  const std::string act = R"("activation_type": "f32",)";
  ExpectError(Edit(act, act + R"("token_block": -1,)"), "'runtime.token_block': must be a whole number >= 0");
  ExpectError(Edit(act, act + R"("token_block": 2.5,)"), "'runtime.token_block'");
  auto ok = ParseDevice(Edit(act, act + R"("token_block": {"value": 32, "source": "engine"},)"), "t.json");
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->exec.token_block, 32);
  auto again = ParseDevice(DeviceToJson(*ok), "again.json");
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(again->exec.token_block, 32);
}

TEST(DeviceFile, MalformedJsonSaysWhere) {
  ExpectError(Edit(R"("kind": "cpu",)", R"("kind": "cpu")"), "malformed JSON at byte");
}

TEST(DeviceFile, OtherValidationErrors) {
  ExpectError(Edit(R"("schema_version": 1)", R"("schema_version": 2)"), "'schema_version'");
  ExpectError(Edit(R"("kind": "cpu")", R"("kind": "fpga")"), "'kind'");
  ExpectError(Edit(R"("attention": "f32")", R"("attention": "int8")"), "'compute.attention'");
  ExpectError(Edit(R"("default": "f32", )", ""), "'compute.matmul.default'");
  ExpectError(Edit(R"("quantized": "f32")", R"("q9_X": "f32")"), "'compute.matmul.q9_X'");
  ExpectError(Edit(R"("compute": 0.5, "memory": 0.75)", R"("compute": 0.5, "memory": 0)"),
              "'efficiency.matmul.memory'");
  ExpectError(Edit(R"("attention": {"compute": 0.3, "memory": 0.6},)", ""), "'efficiency.attention'");
  ExpectError(Edit(R"("source": "mixq defaults for cpu",)", ""), "'efficiency.source'");
  ExpectError(Edit(R"("per_op": {"value": 3, "source": "assumed"})", R"("per_op": -1)"),
              "'runtime.overhead_us.per_op'");
  ExpectError(Edit(R"("activation_type": "f32")", R"("activation_type": "q4_0")"), "'runtime.activation_type'");
  ExpectError(Edit(R"("flash_attention": true)", R"("flash_attention": "yes")"), "'runtime.fusion.flash_attention'");
  ExpectError(Edit(R"("capacity_mib": {"value": 2,)", R"("capacity_mib": {"valu": 2,)"), "'caches[0].capacity_mib'");
  ExpectError("[1, 2]", "top level");
}

TEST(DeviceFile, MissingFileNamesIt) {
  Result<Device> d = LoadDevice("/nonexistent/board.json");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find("/nonexistent/board.json"), std::string::npos);
}

TEST(DeviceFile, RoundTrips) {
  Device a = *ParseDevice(ValidDeviceJson(), "test.json");
  Result<Device> b = ParseDevice(DeviceToJson(a), "written.json");
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(DeviceToJson(*b), DeviceToJson(a));
  EXPECT_EQ(b->sources, a.sources);
  EXPECT_DOUBLE_EQ(b->memory_bandwidth, a.memory_bandwidth);
  EXPECT_EQ(b->matmul_compute, a.matmul_compute);
}

// ---- The files in devices/: every one parses, and every number states its source. ----

std::string RepoRoot() {
  std::string file = __FILE__;  // <root>/tests/forecast/device_test.cc
  for (int i = 0; i < 3; ++i) file = file.substr(0, file.rfind('/'));
  return file;
}

std::vector<std::string> ShippedDeviceFiles() {
  std::vector<std::string> files;
  const std::string dir = RepoRoot() + "/devices";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json") files.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  return files;
}

// Every number except efficiency factors (which share one source) must be {value, source}.
void ExpectSourced(const nlohmann::json& j, const std::string& path, const std::string& file) {
  if (path == "efficiency" || path == "schema_version" || path == "threads") return;
  if (j.is_number()) {
    ADD_FAILURE() << file << ": '" << path << "' has no source";
  } else if (j.is_object() && j.contains("value")) {
    EXPECT_TRUE(j.contains("source") && !j["source"].get<std::string>().empty()) << file << ": " << path;
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) ExpectSourced(v, path.empty() ? k : path + "." + k, file);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) ExpectSourced(j[i], path + "[" + std::to_string(i) + "]", file);
  }
}

TEST(ShippedDevices, ParseAndCiteSources) {
  std::vector<std::string> files = ShippedDeviceFiles();
  ASSERT_GE(files.size(), 8u) << "devices/ should hold the datasheet targets";
  for (const std::string& file : files) {
    Result<Device> d = LoadDevice(file);
    ASSERT_TRUE(d.ok()) << d.message();
    EXPECT_TRUE(CheckDevice(*d).ok()) << file;
    nlohmann::json j = nlohmann::json::parse(ReadTextFile(file, "test").value());
    ExpectSourced(j, "", file);
    if (!d->calibrated) {
      EXPECT_NE(d->efficiency_source.find("uncalibrated"), std::string::npos) << file;
    }
  }
}

}  // namespace
}  // namespace mixq::forecast
