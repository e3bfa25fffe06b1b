// plan.json parsing and weight-type resolution.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "mixq/forecast/weight_types.h"

namespace mixq::forecast {
namespace {

TEST(Plan, ParsesTypesAndKv) {
  Result<Plan> p = ParsePlan(R"({"schema_version": 1, "default_type": "q4_K",
      "tensors": {"blk.0.attn_q.weight": "q6_K", "output.weight": "Q8_0"}, "kv_type": "q8_0"})", "plan.json");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->weights.TypeOf("blk.0.attn_q.weight"), DType::kQ6_K);
  EXPECT_EQ(p->weights.TypeOf("output.weight"), DType::kQ8_0);
  EXPECT_EQ(p->weights.TypeOf("blk.1.attn_q.weight"), DType::kQ4_K);  // default
  EXPECT_EQ(p->weights.TypeOf("blk.1.attn_norm.weight"), DType::kF32);  // 1-D stays f32
  EXPECT_EQ(p->weights.TypeOf("blk.1.attn_q.bias"), DType::kF32);
  EXPECT_EQ(p->kv_type, DType::kQ8_0);
}

TEST(Plan, ErrorsNameFileAndField) {
  auto message = [](const std::string& text) { return ParsePlan(text, "p.json").message(); };
  EXPECT_NE(message(R"({"schema_version": 1, "tensors": {"blk.0.attn_q.weight": "q9"}})")
                .find("[plan] p.json: 'tensors.blk.0.attn_q.weight': unknown type 'q9'"),
            std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1})").find("'tensors': missing"), std::string::npos);
  EXPECT_NE(message(R"({"tensors": {}})").find("'schema_version': missing"), std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1, "tensors": {}, "kv_type": 4})").find("'kv_type'"), std::string::npos);
  EXPECT_NE(message(R"({"schema_version": 1, "tensors": )").find("malformed JSON"), std::string::npos);
}

TEST(Plan, MustMatchTheModel) {
  WeightTypes types;
  types.per_tensor["output.weight"] = DType::kQ8_0;
  ModelConfig tied = testing::SmallConfig();
  tied.tied_embeddings = true;
  Status s = CheckPlanMatchesModel(types, tied, "p.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'tensors.output.weight'"), std::string::npos) << s.message();
  EXPECT_TRUE(CheckPlanMatchesModel(types, testing::SmallConfig(), "p.json").ok());
}

TEST(Plan, ModelTensorsAndBytes) {
  ModelConfig c = testing::SmallConfig();
  EXPECT_EQ(ModelTensors(c).size(), 1u + 2 * 9 + 2);  // embedding, 9 per layer, final norm, head
  WeightTypes q8;
  q8.default_type = DType::kQ8_0;
  const double matrices = 2 * (64.0 * 64 * 2 + 64.0 * 32 * 2 + 3 * 64.0 * 192) + 2 * 512.0 * 64;
  const double norms = 2 * 2 * 64.0 + 64;
  EXPECT_DOUBLE_EQ(WeightBytes(q8, c), matrices * 8.5 / 8 + norms * 4);
}

}  // namespace
}  // namespace mixq::forecast
