// The per-weight-type kernel costs (per dot product, per quantized activation element), the
// separate decode-attention factors and the merging of measurement rounds: counts by hand,
// monotone responses, recovery by calibration and the device-file round trip.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "mixq/forecast/calibrate.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/roofline.h"
#include "mixq/forecast/runs.h"

namespace mixq::forecast {
namespace {

using testing::Find;
using testing::Load;
using testing::MidConfig;
using testing::RoundDevice;
using testing::SevenBConfig;
using testing::SmallConfig;
using testing::Spec;

// Small config (dim 64, hidden 192, q_dim 64, kv_dim 32, vocab 512), 8 tokens.
TEST(KernelCosts, OutputsAndActivationElementsByHand) {
  auto ops = BuildPassOps(Spec(SmallConfig(), DType::kQ8_0), ExecutionSpec{}, PassShape{8, 0, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "attn_q", 0).outputs, 8.0 * 64);       // 512 dot products
  EXPECT_DOUBLE_EQ(Find(ops, "attn_q", 0).act_elements, 8.0 * 64);  // 512 inputs quantized
  EXPECT_DOUBLE_EQ(Find(ops, "attn_k", 1).outputs, 8.0 * 32);       // 256
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_up", 0).outputs, 8.0 * 192);      // 1536
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_down", 0).outputs, 8.0 * 64);     // 512
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_down", 0).act_elements, 8.0 * 192);  // 1536
  // The head runs on the last token only: 1 x vocab outputs from 1 x dim inputs.
  EXPECT_DOUBLE_EQ(Find(ops, "output", -1).outputs, 512);
  EXPECT_DOUBLE_EQ(Find(ops, "output", -1).act_elements, 64);
  // Non-matmuls have none.
  EXPECT_DOUBLE_EQ(Find(ops, "attn_scores", 0).outputs, 0);
  EXPECT_DOUBLE_EQ(Find(ops, "rope", 0).act_elements, 0);
  // Per layer: q 64 + k 32 + v 32 + o 64 + gate 192 + up 192 + down 64 = 640 outputs per token.
  double outputs = 0;
  for (const Op& op : ops) outputs += op.layer == 0 ? op.outputs : 0;
  EXPECT_DOUBLE_EQ(outputs, 8.0 * 640);
}

TEST(KernelCosts, DecodeFlagMarksSingleTokenAttentionOnly) {
  auto decode = BuildPassOps(Spec(SmallConfig(), DType::kF32), ExecutionSpec{}, PassShape{1, 10, 1, 1, true});
  auto prefill = BuildPassOps(Spec(SmallConfig(), DType::kF32), ExecutionSpec{}, PassShape{8, 10, 1, 1, true});
  EXPECT_TRUE(Find(decode, "attn_scores", 0).decode);
  EXPECT_TRUE(Find(decode, "attn_values", 1).decode);
  EXPECT_FALSE(Find(decode, "attn_q", 0).decode);
  EXPECT_FALSE(Find(prefill, "attn_scores", 0).decode);
}

TEST(KernelCosts, RooflineAddsThemToTheSlowerSide) {
  Device d = RoundDevice();
  d.matmul_type_efficiency["q8_0"] = {0.5, 1.0, 2e-9, 1e-9};
  Op op;
  op.op_class = OpClass::kMatmul;
  op.weight_type = DType::kQ8_0;
  op.flops = 1e9;  // 1e9 / (1e12 x 0.5) = 2 ms
  op.outputs = 1e5;      // x 2 ns = 0.2 ms
  op.act_elements = 1e5;  // x 1 ns = 0.1 ms
  const OpTiming t = TimeOp(op, d, d.memory_bandwidth);
  EXPECT_DOUBLE_EQ(t.t_fixed, 3e-4);
  EXPECT_DOUBLE_EQ(t.time, 2e-3 + 3e-4);
  op.weight_type = DType::kF32;  // no entry for f32: class factors, no kernel costs
  EXPECT_DOUBLE_EQ(TimeOp(op, d, d.memory_bandwidth).t_fixed, 0);
}

TEST(KernelCosts, MonotoneInEachCostAndWeighsMoreOnShortRows) {
  Device d = RoundDevice();
  d.matmul_type_efficiency["q8_0"] = {0.5, 0.8};
  auto ttft = [&](const ModelConfig& c, double per_output, double per_act) {
    Device x = d;
    x.matmul_type_efficiency["q8_0"].per_output = per_output;
    x.matmul_type_efficiency["q8_0"].per_act = per_act;
    Result<ForecastResult> r = Forecast(Spec(c, DType::kQ8_0), x, Load(128, 2));
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? r->ttft : 0.0;
  };
  const ModelConfig small = SmallConfig(), big = SevenBConfig();
  EXPECT_LT(ttft(small, 0, 0), ttft(small, 1e-9, 0));
  EXPECT_LT(ttft(small, 1e-9, 0), ttft(small, 2e-9, 0));
  EXPECT_LT(ttft(small, 1e-9, 0), ttft(small, 1e-9, 1e-9));
  // A fixed cost per dot product is a larger share of a short dot product (dim 64) than of a
  // long one (dim 4096): the shape dependence one efficiency per type could not express.
  const double small_share = ttft(small, 1e-9, 0) / ttft(small, 0, 0);
  const double big_share = ttft(big, 1e-9, 0) / ttft(big, 0, 0);
  EXPECT_GT(small_share, big_share);
  EXPECT_GT(big_share, 1.0);
}

TEST(KernelCosts, DecodeAttentionFactorsAffectDecodeOnly) {
  const ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  Device d = RoundDevice();
  d.efficiency[static_cast<int>(OpClass::kAttention)] = {0.3, 0.5};
  Device slow = d;
  slow.attention_decode = Efficiency{0.03, 0.05};
  Result<ForecastResult> a = Forecast(spec, d, Load(512, 32)), b = Forecast(spec, slow, Load(512, 32));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_DOUBLE_EQ(a->ttft, b->ttft);
  EXPECT_GT(b->tpot, a->tpot);
  // Equal factors give equal results: the split itself changes nothing.
  Device same = d;
  same.attention_decode = d.efficiency[static_cast<int>(OpClass::kAttention)];
  Result<ForecastResult> c = Forecast(spec, same, Load(512, 32));
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->tpot, a->tpot);
}

TEST(KernelCosts, CalibrationRecoversThem) {
  Device truth = RoundDevice();
  truth.caches = {{"L3", 32e6, 400e9}};
  truth.efficiency = {{{0.6, 0.8}, {0.35, 0.55}, {0.28, 0.66}, {1.0, 0.7}}};
  truth.matmul_type_efficiency["q8_0"] = {0.2, 0.7, 3e-9, 2e-9};
  truth.attention_decode = Efficiency{0.1, 0.3};
  std::vector<Measurement> data;
  for (const ModelConfig& c : {SmallConfig(), MidConfig(), SevenBConfig()})
    for (DType type : {DType::kF32, DType::kQ8_0})
      for (int64_t n : {64, 512})
        for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
          Measurement m;
          m.model = Spec(c, type);
          m.phase = phase;
          m.tokens = phase == Phase::kPrefill ? n : 16;
          m.depth = phase == Phase::kPrefill ? 0 : 4 * n;
          m.label = fmt::format("{} {} {} {}", c.dim, DTypeName(type), PhaseName(phase), n);
          m.seconds = PredictMeasurement(m, truth).seconds;
          data.push_back(m);
        }
  Device start = truth;
  start.matmul_type_efficiency.clear();
  start.attention_decode.reset();
  CalibrationOptions options;
  options.prior_weight = 1e-12;
  options.parameters = {"matmul.q8_0.compute", "matmul.q8_0.memory",       "matmul.q8_0.per_output",
                        "matmul.q8_0.per_act", "attention_decode.compute", "attention_decode.memory"};
  Result<CalibrationResult> fit = Calibrate(start, data, options);
  ASSERT_TRUE(fit.ok()) << fit.message();
  const Efficiency& q8 = fit->device.matmul_type_efficiency.at("q8_0");
  EXPECT_NEAR(q8.compute, 0.2, 0.2e-3);
  EXPECT_NEAR(q8.per_output, 3e-9, 3e-12);
  EXPECT_NEAR(q8.per_act, 2e-9, 2e-11);
  ASSERT_TRUE(fit->device.attention_decode.has_value());
  EXPECT_NEAR(fit->device.attention_decode->memory, 0.3, 0.3e-2);
  EXPECT_LT(ValidateForecasts(fit->device, data).all.max_ape, 0.1);
  // Kernel costs exist per weight type only.
  options.parameters = {"matmul.per_output"};
  EXPECT_FALSE(Calibrate(start, data, options).ok());
  options.parameters = {"attention_decode.per_act"};
  EXPECT_FALSE(Calibrate(start, data, options).ok());
}

TEST(KernelCosts, DeviceFileRoundTripAndErrors) {
  Device d = RoundDevice();
  d.matmul_compute["quantized"] = "int8";
  d.matmul_type_efficiency["q4_0"] = {0.2, 0.6, 1.5e-9, 0.25e-9};
  d.attention_decode = Efficiency{0.1, 0.4};
  Result<Device> back = ParseDevice(DeviceToJson(d), "<test>");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_NEAR(back->matmul_type_efficiency.at("q4_0").per_output, 1.5e-9, 1e-21);
  EXPECT_NEAR(back->matmul_type_efficiency.at("q4_0").per_act, 0.25e-9, 1e-21);
  ASSERT_TRUE(back->attention_decode.has_value());
  EXPECT_DOUBLE_EQ(back->attention_decode->memory, 0.4);
  std::string text = DeviceToJson(d);
  const std::string good = "\"per_output_ns\": 1.5";
  ASSERT_NE(text.find(good), std::string::npos) << text;
  text.replace(text.find(good), good.size(), "\"per_output_ns\": -1.5");
  const Result<Device> bad = ParseDevice(text, "<test>");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("efficiency.matmul_by_type.q4_0.per_output_ns"), std::string::npos) << bad.message();
}

Result<ModelSpec> SmallResolver(const RunModel& ref) {
  if (ref.model != "small") return Err("no model '{}'", ref.model);
  return Spec(SmallConfig(), ref.type.value_or(DType::kF32), ref.kv_type);
}

TEST(Rounds, MergedByLabelWithMinOrMedian) {
  // Three rounds of the same two tests (seconds per step 1/50, 1/25, 1/40 and 8/80, 8/40, 8/20).
  auto round = [](double tg_tps, double pp_tps) {
    return fmt::format(R"({{"model": "small", "tests": [
        {{"name": "tg16", "n_tokens": 16, "tokens_per_s_median": {}}},
        {{"name": "pp8", "n_tokens": 8, "tokens_per_s_median": {}}}]}})", tg_tps, pp_tps);
  };
  auto load = [&](RoundStatistic stat) {
    CalibrationRuns runs;
    for (auto [tg, pp] : {std::pair{50.0, 80.0}, {25.0, 40.0}, {40.0, 20.0}}) {
      Result<CalibrationRuns> r = ParseCalibrationRuns(round(tg, pp), "r.json", SmallResolver);
      EXPECT_TRUE(r.ok()) << r.message();
      AppendRuns(std::move(*r), &runs);
    }
    MergeRounds(stat, &runs);
    return runs;
  };
  CalibrationRuns fastest = load(RoundStatistic::kMin);
  ASSERT_EQ(fastest.measurements.size(), 2u);
  EXPECT_DOUBLE_EQ(fastest.measurements[0].seconds, 1.0 / 50);
  EXPECT_DOUBLE_EQ(fastest.measurements[1].seconds, 8.0 / 80);
  EXPECT_EQ(fastest.measurements[0].rounds, 3);
  EXPECT_DOUBLE_EQ(fastest.measurements[0].spread, 1.0);  // 1/25 over 1/50
  EXPECT_DOUBLE_EQ(fastest.measurements[1].spread, 3.0);  // 8/20 over 8/80
  EXPECT_EQ(fastest.run_of[1], 0);                         // the first round's run
  CalibrationRuns middle = load(RoundStatistic::kMedian);
  EXPECT_DOUBLE_EQ(middle.measurements[0].seconds, 1.0 / 40);
  EXPECT_DOUBLE_EQ(middle.measurements[1].seconds, 8.0 / 40);
  EXPECT_EQ(ParseRoundStatistic("median"), RoundStatistic::kMedian);
  EXPECT_FALSE(ParseRoundStatistic("max").has_value());
}

}  // namespace
}  // namespace mixq::forecast
