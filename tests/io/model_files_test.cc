// LoadModelFiles / LoadModelConfig: format detection and errors that name the path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "io/io_test_util.h"
#include "mixq/io/model_files.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;
using ::mixq::testing::TempPath;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ModelFilesTest, MissingPathNamed) {
  const std::string path = TempPath("nothing-here");
  Result<std::shared_ptr<LoadedModel>> r = LoadModelFiles(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.message(), AllOf(HasSubstr(path), HasSubstr("No such file")));
  EXPECT_FALSE(LoadModelConfig(path).ok());
}

TEST(ModelFilesTest, ConfigOnlyFromHfDirAndFile) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/config.json");
  for (const char* rel : {"models/wiki-llama-8m", "models/wiki-llama-8m/config.json"}) {
    Result<ModelConfig> c = LoadModelConfig(SharedPath(rel));
    ASSERT_TRUE(c.ok()) << c.message();
    EXPECT_EQ(c->dim, 256);
    EXPECT_EQ(c->n_kv_heads, 4);
    EXPECT_FALSE(c->tied_embeddings);
  }
}

TEST(ModelFilesTest, ConfigOnlyFromLlama2c) {
  MIXQ_REQUIRE_SHARED("models/stories260K/stories260K.bin");
  Result<ModelConfig> c = LoadModelConfig(SharedPath("models/stories260K/stories260K.bin"));
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->hidden_dim, 172);
  EXPECT_EQ(c->rope_layout, RopeLayout::kInterleaved);
}

TEST(ModelFilesTest, ConfigValidationNamesField) {
  nlohmann::json j = ::mixq::testing::TinyHfConfigJson();
  j["num_key_value_heads"] = 3;  // 4 heads are not a multiple of 3
  const std::string path = TempPath("config.json");
  ::mixq::testing::WriteStringToFile(path, j.dump());
  Result<ModelConfig> c = LoadModelConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.message(), AllOf(HasSubstr(path), HasSubstr("num_key_value_heads 3")));
}

}  // namespace
}  // namespace mixq
