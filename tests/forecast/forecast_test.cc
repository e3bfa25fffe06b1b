// The forecast's definitions and its response to every knob.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/roofline.h"

namespace mixq::forecast {
namespace {

using testing::Load;
using testing::RoundDevice;
using testing::SevenBConfig;
using testing::SmallConfig;
using testing::Spec;

ForecastResult Predict(const ModelSpec& spec, const Device& device, const Workload& w) {
  Result<ForecastResult> r = Forecast(spec, device, w);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? *r : ForecastResult{};
}

const OpRow& Row(const PhaseResult& phase, const std::string& group) {
  for (const OpRow& row : phase.ops)
    if (row.group == group) return row;
  ADD_FAILURE() << "no row " << group;
  static OpRow none;
  return none;
}

TEST(Roofline, TimeIsTheSlowerSidePlusOverhead) {
  Device d = RoundDevice();
  d.overhead_per_op = 1e-6;
  d.efficiency[0] = {0.5, 0.8};
  Op op;
  op.op_class = OpClass::kMatmul;
  op.weight_type = DType::kF32;
  op.flops = 1e9;        // 1e9 / (1e12 x 0.5) = 2 ms
  op.weight_bytes = 1e8;  // 1e8 / (100e9 x 0.8) = 1.25 ms
  OpTiming t = TimeOp(op, d, d.memory_bandwidth);
  EXPECT_DOUBLE_EQ(t.t_compute, 2e-3);
  EXPECT_DOUBLE_EQ(t.t_memory, 1.25e-3);
  EXPECT_DOUBLE_EQ(t.time, 2e-3 + 1e-6);
  EXPECT_TRUE(t.compute_bound());
}

// Re-reads by later token blocks add to the roofline time (they do not overlap the block's
// arithmetic) at the bandwidth of the level that holds the matrix alone.
TEST(Roofline, RereadsAddTimeFromTheLevelHoldingTheMatrix) {
  Device d = RoundDevice();
  d.caches = {{"L3", 32e6, 400e9}};
  d.efficiency[0] = {0.5, 0.8};
  Op op;
  op.op_class = OpClass::kMatmul;
  op.weight_type = DType::kF32;
  op.flops = 1e9;          // 2 ms compute-bound
  op.weight_bytes = 16e6;  // fits L3
  op.reread_bytes = 48e6;  // 48e6 / (400e9 x 0.8) = 0.15 ms
  OpTiming t = TimeOp(op, d, d.memory_bandwidth);
  EXPECT_DOUBLE_EQ(t.t_reread, 48e6 / (400e9 * 0.8));
  EXPECT_DOUBLE_EQ(t.time, 2e-3 + t.t_reread);
  op.weight_bytes = 64e6;  // beyond L3: half of it from L3, half from memory
  OpTiming big = TimeOp(op, d, d.memory_bandwidth);
  EXPECT_NEAR(big.t_reread, 48e6 * (0.5 / 400e9 + 0.5 / 100e9) / 0.8, 1e-12);
  TimeTerms terms;
  terms.AddOp(op, big, 1e12, d.memory_bandwidth);
  EXPECT_DOUBLE_EQ(terms.Seconds(d), big.time);  // the calibration's linear terms agree
}

TEST(Roofline, PassUsesTheSmallestCacheThatHoldsTheWorkingSet) {
  Device d = RoundDevice();
  d.caches = {{"L2", 1e6, 1000e9}, {"L3", 32e6, 400e9}};
  EXPECT_EQ(ChooseMemoryLevel(d, 5e5).name, "L2");
  EXPECT_EQ(ChooseMemoryLevel(d, 2e6).name, "L3");
  EXPECT_EQ(ChooseMemoryLevel(d, 1e9).name, "DRAM");
  EXPECT_DOUBLE_EQ(ChooseMemoryLevel(d, 5e5).bandwidth, 1000e9);  // fits L2: L2 alone
  // Partial residency. 2 MB: L2 keeps half, L3 the rest: 1 / (0.5 / 1000 + 0.5 / 400) GB/s.
  EXPECT_NEAR(ChooseMemoryLevel(d, 2e6).bandwidth, 1e9 / (0.5 / 1000 + 0.5 / 400), 1);
  // 1 GB: L2 keeps 0.1%, L3 3.2% in all (3.1% more), DRAM the remaining 96.8%.
  EXPECT_NEAR(ChooseMemoryLevel(d, 1e9).bandwidth, 1e9 / (0.001 / 1000 + 0.031 / 400 + 0.968 / 100), 1);
  // Monotone: a larger working set never gets more bandwidth, and far beyond the caches it
  // approaches main memory's.
  double previous = 2000e9;
  for (double w = 1e5; w < 1e12; w *= 1.7) {
    EXPECT_LE(ChooseMemoryLevel(d, w).bandwidth, previous * (1 + 1e-12)) << w;
    previous = ChooseMemoryLevel(d, w).bandwidth;
  }
  EXPECT_NEAR(previous, 100e9, 0.1e9);
}

TEST(Forecast, DefinitionsHold) {
  Device d = RoundDevice();
  d.overhead_per_op = 2e-6;
  d.overhead_per_pass = 1e-4;
  Workload w = Load(100, 20);
  w.batch = 2;
  ForecastResult r = Predict(Spec(SmallConfig(), DType::kF16), d, w);
  EXPECT_DOUBLE_EQ(r.ttft, r.prefill.seconds);
  EXPECT_DOUBLE_EQ(r.tpot, r.decode.seconds);
  EXPECT_DOUBLE_EQ(r.tps, 2 / r.tpot);
  EXPECT_DOUBLE_EQ(r.e2e, r.ttft + 19 * r.tpot);
  EXPECT_EQ(r.prefill.passes, 1);
  EXPECT_EQ(r.decode.passes, 19);
  // The linear terms reproduce the times (calibration relies on this).
  EXPECT_NEAR(r.prefill.terms.Seconds(d), r.prefill.seconds, 1e-12 * r.prefill.seconds + 1e-15);
  EXPECT_NEAR(r.decode.terms.Seconds(d), r.decode.seconds, 1e-9 * r.decode.seconds);
  double row_sum = 0;
  for (const OpRow& row : r.decode.ops) row_sum += row.time;
  EXPECT_NEAR(row_sum + d.overhead_per_pass, r.decode.seconds, 1e-9 * r.decode.seconds);
}

TEST(Forecast, DecodeIntegratesEveryStepExactly) {
  // The affine shortcut must equal building each step's ops from scratch.
  Device d = RoundDevice();
  d.overhead_per_op = 1e-6;
  const ModelSpec spec = Spec(SmallConfig(), DType::kQ4_0);
  double sum = 0;
  for (int64_t past = 30; past < 35; ++past) {
    for (const Op& op : BuildPassOps(spec, d.exec, PassShape{1, past, 1, 1, true}))
      sum += TimeOp(op, d, d.memory_bandwidth).time;
  }
  PhaseResult decode = ForecastDecode(spec, d, 30, 5, 1);
  EXPECT_NEAR(decode.seconds, sum / 5, 1e-12 * sum);
}

TEST(Forecast, ChunkedPrefillMatchesPassByPass) {
  Device d = RoundDevice();
  const ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  // 20 tokens in chunks of 8: 8 + 8 (no head) + 4 (head and sampling).
  double sum = 0;
  for (const PassShape& s : {PassShape{8, 0, 1, 0, false}, PassShape{8, 8, 1, 0, false}, PassShape{4, 16, 1, 1, true}})
    for (const Op& op : BuildPassOps(spec, d.exec, s)) sum += TimeOp(op, d, d.memory_bandwidth).time;
  PhaseResult prefill = ForecastPrefill(spec, d, 20, 0, 1, 8, false);
  EXPECT_EQ(prefill.passes, 3);
  EXPECT_NEAR(prefill.seconds, sum, 1e-12 * sum);
}

// ---- Every knob moves the forecast the right way. ----

TEST(Knobs, FewerBitsLessDecodeTimeWhenMemoryBound) {
  Device d = RoundDevice();
  double previous = INFINITY;
  for (DType type : {DType::kF32, DType::kF16, DType::kQ8_0, DType::kQ6_K, DType::kQ4_K, DType::kQ3_K, DType::kQ2_K}) {
    ForecastResult r = Predict(Spec(SevenBConfig(), type), d, Load(128, 16));
    EXPECT_LT(r.tpot, previous) << DTypeName(type);
    EXPECT_FALSE(Row(r.decode, "attn_q").compute_bound());  // attn_q streams its weights
    previous = r.tpot;
  }
}

TEST(Knobs, LongerContextMoreDecodeTime) {
  Device d = RoundDevice();
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  EXPECT_LT(Predict(spec, d, Load(128, 16)).tpot, Predict(spec, d, Load(2048, 16)).tpot);
  EXPECT_LT(Predict(spec, d, Load(128, 16)).ttft, Predict(spec, d, Load(2048, 16)).ttft);
}

TEST(Knobs, BiggerChunkFewerPassesLessPrefillTime) {
  Device d = RoundDevice();
  d.overhead_per_op = 5e-6;
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  Workload small = Load(512, 4), big = Load(512, 4);
  small.chunk = 16;
  big.chunk = 128;
  ForecastResult a = Predict(spec, d, small), b = Predict(spec, d, big);
  EXPECT_EQ(a.prefill.passes, 32);
  EXPECT_EQ(b.prefill.passes, 4);
  EXPECT_LT(b.prefill.bytes(), a.prefill.bytes());  // weights are re-read once per chunk
  EXPECT_LT(b.ttft, a.ttft);
}

TEST(Knobs, LargerTokenBlocksLessPrefillTime) {
  Device d = RoundDevice();
  const ModelSpec spec = Spec(SevenBConfig(), DType::kF16);
  Device blocked = d, wide = d;
  blocked.exec.token_block = 32;
  wide.exec.token_block = 256;
  const Workload w = Load(512, 4);
  const ForecastResult none = Predict(spec, d, w), a = Predict(spec, blocked, w), b = Predict(spec, wide, w);
  EXPECT_LT(b.ttft, a.ttft);
  EXPECT_LT(none.ttft, b.ttft);
  EXPECT_DOUBLE_EQ(a.tpot, none.tpot);  // decode steps are one block
}

TEST(Knobs, LoraAddsFlopsBytesAndTime) {
  Device d = RoundDevice();
  ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  ForecastResult base = Predict(spec, d, Load(256, 16));
  spec.lora.rank = 16;
  ForecastResult r16 = Predict(spec, d, Load(256, 16));
  spec.lora.rank = 64;
  ForecastResult r64 = Predict(spec, d, Load(256, 16));
  EXPECT_LT(base.decode.flops(), r16.decode.flops());
  EXPECT_LT(base.decode.bytes(), r16.decode.bytes());
  EXPECT_LT(r16.decode.bytes(), r64.decode.bytes());
  EXPECT_LT(base.tpot, r16.tpot);
  EXPECT_LT(r16.tpot, r64.tpot);
  EXPECT_LT(base.memory.weights, r16.memory.weights);
}

TEST(Knobs, FewerKvHeadsSmallerCacheAndFasterLongDecode) {
  Device d = RoundDevice();
  ModelConfig mha = SevenBConfig(), gqa = SevenBConfig();
  gqa.n_kv_heads = 8;
  ForecastResult a = Predict(Spec(mha, DType::kQ4_0), d, Load(4000, 16));
  ForecastResult b = Predict(Spec(gqa, DType::kQ4_0), d, Load(4000, 16));
  EXPECT_DOUBLE_EQ(b.memory.kv_cache, a.memory.kv_cache / 4);
  EXPECT_LT(b.tpot, a.tpot);
  EXPECT_LT(b.memory.weights, a.memory.weights);  // smaller K and V projections too
}

TEST(Knobs, SmallerKvTypeSmallerCacheAndFasterLongDecode) {
  Device d = RoundDevice();
  ForecastResult f16 = Predict(Spec(SevenBConfig(), DType::kQ4_0, DType::kF16), d, Load(4000, 16));
  ForecastResult q8 = Predict(Spec(SevenBConfig(), DType::kQ4_0, DType::kQ8_0), d, Load(4000, 16));
  ForecastResult q4 = Predict(Spec(SevenBConfig(), DType::kQ4_0, DType::kQ4_0), d, Load(4000, 16));
  EXPECT_DOUBLE_EQ(q8.memory.kv_cache, f16.memory.kv_cache * 8.5 / 16);
  EXPECT_LT(q8.tpot, f16.tpot);
  EXPECT_LT(q4.tpot, q8.tpot);
}

TEST(Knobs, ContextAllocationGrowsTheCacheOnly) {
  Device d = RoundDevice();
  Workload w = Load(100, 28);
  ForecastResult a = Predict(Spec(SmallConfig(), DType::kF32), d, w);
  w.context = 1024;
  ForecastResult b = Predict(Spec(SmallConfig(), DType::kF32), d, w);
  EXPECT_DOUBLE_EQ(b.memory.kv_cache, a.memory.kv_cache * 1024 / 128);
  EXPECT_DOUBLE_EQ(b.memory.weights, a.memory.weights);
  EXPECT_DOUBLE_EQ(b.tpot, a.tpot);
}

TEST(Knobs, FasterBandwidthLowerTpot) {
  Device slow = RoundDevice(), fast = RoundDevice();
  fast.memory_bandwidth *= 2;
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  ForecastResult a = Predict(spec, slow, Load(128, 16)), b = Predict(spec, fast, Load(128, 16));
  EXPECT_LT(b.tpot, a.tpot);
  EXPECT_NEAR(b.tpot, a.tpot / 2, 0.05 * a.tpot);  // decode is almost all memory-bound
}

TEST(Knobs, HigherPeakLowerTtftWhenComputeBound) {
  Device slow = RoundDevice(), fast = RoundDevice();
  fast.peak["f32"] *= 4;
  const ModelSpec spec = Spec(SevenBConfig(), DType::kF16);
  ForecastResult a = Predict(spec, slow, Load(1024, 2)), b = Predict(spec, fast, Load(1024, 2));
  EXPECT_TRUE(Row(a.prefill, "attn_q").compute_bound());
  EXPECT_LT(b.ttft, a.ttft);
  EXPECT_NEAR(b.tpot, a.tpot, 0.05 * a.tpot);  // decode hardly cares
}

TEST(Knobs, QuantizedMatmulsUseTheirComputeType) {
  Device d = RoundDevice();
  d.matmul_compute["quantized"] = "int8";
  Device fast = d;
  fast.peak["int8"] *= 4;
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  EXPECT_LT(Predict(spec, fast, Load(1024, 2)).ttft, Predict(spec, d, Load(1024, 2)).ttft);
  EXPECT_EQ(Row(Predict(spec, fast, Load(8, 2)).prefill, "attn_q").compute_type, "int8");
}

TEST(Knobs, BatchRaisesThroughputWhileMemoryBound) {
  Device d = RoundDevice();
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  Workload w = Load(128, 16);
  ForecastResult one = Predict(spec, d, w);
  w.batch = 4;
  ForecastResult four = Predict(spec, d, w);
  EXPECT_GT(four.tpot, one.tpot);
  EXPECT_GT(four.tps, 2 * one.tps);
  EXPECT_DOUBLE_EQ(four.memory.kv_cache, 4 * one.memory.kv_cache);
}

TEST(Knobs, EfficiencyAndOverheads) {
  const ModelSpec spec = Spec(SevenBConfig(), DType::kQ4_0);
  Device d = RoundDevice();
  ForecastResult base = Predict(spec, d, Load(256, 16));
  Device slower = d;
  slower.efficiency[static_cast<int>(OpClass::kMatmul)].memory = 0.5;
  EXPECT_GT(Predict(spec, slower, Load(256, 16)).tpot, base.tpot);
  Device overhead = d;
  overhead.overhead_per_op = 10e-6;
  EXPECT_GT(Predict(spec, overhead, Load(256, 16)).tpot, base.tpot);
}

TEST(Knobs, FusionSavesTime) {
  const ModelSpec spec = Spec(SevenBConfig(), DType::kF16);
  Device plain = RoundDevice(), fused = RoundDevice();
  plain.overhead_per_op = fused.overhead_per_op = 5e-6;
  fused.exec.fusion = Fusion{true, true, true, true};
  ForecastResult a = Predict(spec, plain, Load(2048, 16)), b = Predict(spec, fused, Load(2048, 16));
  EXPECT_LT(b.ttft, a.ttft);
  EXPECT_LT(b.tpot, a.tpot);
  EXPECT_LT(b.memory.activations, a.memory.activations);  // no score matrix
}

TEST(Knobs, CacheResidentModelDecodesFaster) {
  const ModelSpec spec = Spec(SmallConfig(), DType::kF32);  // ~0.5 MB of weights
  Device dram = RoundDevice(), cached = RoundDevice();
  cached.caches = {{"L2", 2e6, 1000e9}};
  ForecastResult a = Predict(spec, dram, Load(64, 16)), b = Predict(spec, cached, Load(64, 16));
  EXPECT_EQ(b.decode.memory_level, "L2");
  EXPECT_EQ(a.decode.memory_level, "DRAM");
  EXPECT_LT(b.tpot, a.tpot);
}

TEST(Memory, CountsByHand) {
  // Small config in f32, f16 KV, prompt 100 + gen 28 = 128 positions, batch 1.
  ForecastResult r = Predict(Spec(SmallConfig(), DType::kF32, DType::kF16), RoundDevice(), Load(100, 28));
  const double layer = 64.0 * 64 * 2 + 64.0 * 32 * 2 + 3 * 64.0 * 192 + 2 * 64;  // matrices + 2 norms
  const double params = 2 * layer + 2 * 512.0 * 64 + 64;  // + embedding, head, final norm
  EXPECT_DOUBLE_EQ(r.memory.weights, params * 4);
  EXPECT_DOUBLE_EQ(r.memory.kv_cache, 2.0 * 2 * 32 * 128 * 2);  // K,V x layers x kv_dim x ctx x f16
  // Prefill attention: 100 x (2x64 + 2x64 + 2x32) + 4 x 100 x 100 scores = 72000 floats.
  EXPECT_DOUBLE_EQ(r.memory.activations, 72000.0 * 4);
}

TEST(Forecast, RejectsBadWorkloads) {
  const ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  Workload w = Load(100, 28);
  w.context = 64;
  Result<ForecastResult> r = Forecast(spec, RoundDevice(), w);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("'ctx'"), std::string::npos) << r.message();
  w = Load(0, 1);
  EXPECT_NE(Forecast(spec, RoundDevice(), w).message().find("'prompt'"), std::string::npos);
  ModelSpec lora = spec;
  lora.lora.rank = 4;
  lora.lora.targets = {"attn_x"};
  EXPECT_NE(Forecast(lora, RoundDevice(), Load(4, 4)).message().find("attn_x"), std::string::npos);
  ModelSpec plan = spec;
  plan.weights.per_tensor["blk.7.attn_q.weight"] = DType::kQ4_0;
  EXPECT_NE(Forecast(plan, RoundDevice(), Load(4, 4)).message().find("blk.7.attn_q.weight"), std::string::npos);
  Device no_peak = RoundDevice();
  no_peak.matmul_compute["quantized"] = "bf16";
  EXPECT_NE(Forecast(spec, no_peak, Load(4, 4)).message().find("compute.matmul.quantized"), std::string::npos);
}

}  // namespace
}  // namespace mixq::forecast
