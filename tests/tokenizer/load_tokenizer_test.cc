#include <filesystem>

#include "mixq/io/model_files.h"
#include "mixq/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace mixq {
namespace {

using ::mixq::testing::SharedPath;

LoadedModel Model(ModelFormat format, const std::string& path, int64_t vocab_size) {
  LoadedModel model;
  model.format = format;
  model.path = path;
  model.config.vocab_size = vocab_size;
  return model;
}

TEST(LoadTokenizer, HuggingFaceDirectoryUsesTokenizerModel) {
  MIXQ_REQUIRE_SHARED("models/wiki-llama-8m/tokenizer.model");
  auto tok = LoadTokenizer(Model(ModelFormat::kHuggingFace, SharedPath("models/wiki-llama-8m"), 4096));
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ((*tok)->vocab_size(), 4096);
  EXPECT_EQ(*(*tok)->Encode("Hello world"), (std::vector<int32_t>{390, 654, 4000, 1202}));
}

TEST(LoadTokenizer, HuggingFaceDirectoryPrefersTokenizerJson) {
  MIXQ_REQUIRE_SHARED("tokenizers/smollm2-135m/tokenizer.json");
  auto tok = LoadTokenizer(Model(ModelFormat::kHuggingFace, SharedPath("tokenizers/smollm2-135m"), 49152));
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ((*tok)->vocab_size(), 49152);
  EXPECT_FALSE((*tok)->add_bos());
  EXPECT_EQ(*(*tok)->Encode("Hello world!"), (std::vector<int32_t>{19556, 905, 17}));
}

TEST(LoadTokenizer, Llama2cFindsTokenizerNextToCheckpoint) {
  MIXQ_REQUIRE_SHARED("models/stories260K/stories260K.bin");
  // stories260K/ holds a single tok*.bin (tok512.bin) and no tokenizer.bin.
  auto tok = LoadTokenizer(Model(ModelFormat::kLlama2c, SharedPath("models/stories260K/stories260K.bin"), 512));
  ASSERT_TRUE(tok.ok()) << tok.message();
  EXPECT_EQ((*tok)->vocab_size(), 512);
  EXPECT_EQ((*tok)->bos_id(), 1);
  EXPECT_TRUE((*tok)->add_bos());
}

TEST(LoadTokenizer, Llama2cWithSeveralCandidatesNeedsAPath) {
  MIXQ_REQUIRE_SHARED("models/babyllama-1m/tok105.bin");
  // babyllama-1m/ holds tok105.bin and tok361_reconstructed.bin: ambiguous without a path.
  const LoadedModel model = Model(ModelFormat::kLlama2c, SharedPath("models/babyllama-1m/babyllama105_model5000.bin"), 105);
  auto ambiguous = LoadTokenizer(model);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.message().find("tok105.bin"), std::string::npos) << ambiguous.message();
  EXPECT_NE(ambiguous.message().find("tok361_reconstructed.bin"), std::string::npos) << ambiguous.message();
  auto explicit_path = LoadTokenizer(model, SharedPath("models/babyllama-1m/tok105.bin"));
  ASSERT_TRUE(explicit_path.ok()) << explicit_path.message();
  EXPECT_EQ((*explicit_path)->vocab_size(), 105);
  // An explicit .model path selects SentencePiece.
  auto spm = LoadTokenizer(model, SharedPath("models/babyllama-1m/tok105.model"));
  ASSERT_TRUE(spm.ok()) << spm.message();
  EXPECT_EQ(*(*spm)->Encode("Once"), *(*explicit_path)->Encode("Once"));
}

TEST(LoadTokenizer, ErrorsNameWhatWasSearched) {
  const std::string dir = testing::TempPath("empty_model_dir");
  std::filesystem::create_directories(dir);
  auto hf = LoadTokenizer(Model(ModelFormat::kHuggingFace, dir, 100));
  ASSERT_FALSE(hf.ok());
  EXPECT_NE(hf.message().find("tokenizer.json"), std::string::npos) << hf.message();
  EXPECT_NE(hf.message().find("tokenizer.model"), std::string::npos) << hf.message();
  auto l2c = LoadTokenizer(Model(ModelFormat::kLlama2c, dir + "/model.bin", 100));
  ASSERT_FALSE(l2c.ok());
  EXPECT_NE(l2c.message().find("tokenizer.bin"), std::string::npos) << l2c.message();
  EXPECT_NE(l2c.message().find("tok*.bin"), std::string::npos) << l2c.message();
  auto missing = LoadTokenizer(Model(ModelFormat::kLlama2c, dir + "/model.bin", 100), dir + "/nope.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("nope.bin"), std::string::npos) << missing.message();
}

}  // namespace
}  // namespace mixq
