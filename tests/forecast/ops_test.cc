// Operator counts of the small config checked against values worked out by hand.
// Config: dim 64, hidden 192, 2 layers, 4 heads x 16, 2 KV heads (kv_dim 32), vocab 512.
#include <gtest/gtest.h>

#include <map>

#include "fixtures.h"
#include "mixq/forecast/ops.h"

namespace mixq::forecast {
namespace {

using testing::Find;
using testing::SmallConfig;
using testing::Spec;

// Prefill of 8 tokens, nothing cached, f32 weights and activations, f16 KV cache.
class PrefillCounts : public ::testing::Test {
 protected:
  std::vector<Op> ops = BuildPassOps(Spec(SmallConfig(), DType::kF32, DType::kF16), ExecutionSpec{},
                                     PassShape{8, 0, 1, 1, true});
};

TEST_F(PrefillCounts, Projections) {
  const Op& q = Find(ops, "attn_q", 0);
  EXPECT_EQ(q.op_class, OpClass::kMatmul);
  EXPECT_DOUBLE_EQ(q.flops, 2.0 * 8 * 64 * 64);        // 65536: 2 x tokens x in x out
  EXPECT_DOUBLE_EQ(q.weight_bytes, 64.0 * 64 * 4);     // 16384: f32 weight
  EXPECT_DOUBLE_EQ(q.act_bytes, 8.0 * 64 * 4 + 8.0 * 64 * 4);  // read x, write q: 4096
  const Op& k = Find(ops, "attn_k", 1);
  EXPECT_DOUBLE_EQ(k.flops, 32768);                    // 2 x 8 x 64 x 32
  EXPECT_DOUBLE_EQ(k.weight_bytes, 8192);              // 64 x 32 x 4
  EXPECT_DOUBLE_EQ(k.act_bytes, 2048 + 1024);          // read 8x64, write 8x32 floats
  const Op& gate = Find(ops, "ffn_gate", 0);
  EXPECT_DOUBLE_EQ(gate.flops, 196608);                // 2 x 8 x 64 x 192
  EXPECT_DOUBLE_EQ(gate.weight_bytes, 49152);          // 64 x 192 x 4
  const Op& down = Find(ops, "ffn_down", 1);
  EXPECT_DOUBLE_EQ(down.flops, 196608);                // 2 x 8 x 192 x 64
  EXPECT_DOUBLE_EQ(down.act_bytes, 8.0 * 192 * 4 + 8.0 * 64 * 4);  // 6144 + 2048
}

TEST_F(PrefillCounts, Attention) {
  // Causal: token i sees i + 1 positions, sum over 8 tokens = 36; x 4 heads = 144 scores.
  const Op& qk = Find(ops, "attn_scores", 0);
  EXPECT_EQ(qk.op_class, OpClass::kAttention);
  EXPECT_DOUBLE_EQ(qk.flops, 2.0 * 16 * 144);        // 4608
  EXPECT_DOUBLE_EQ(qk.kv_bytes, 8.0 * 32 * 2);       // K of 8 positions, f16: 512
  EXPECT_DOUBLE_EQ(qk.act_bytes, 8.0 * 64 * 4 + 144.0 * 4);  // read q, write scores: 2624
  const Op& softmax = Find(ops, "softmax", 0);
  EXPECT_DOUBLE_EQ(softmax.flops, 5.0 * 144);        // 720
  EXPECT_DOUBLE_EQ(softmax.act_bytes, 2.0 * 144 * 4);  // 1152
  const Op& pv = Find(ops, "attn_values", 0);
  EXPECT_DOUBLE_EQ(pv.flops, 4608);
  EXPECT_DOUBLE_EQ(pv.kv_bytes, 512);
  const Op& store = Find(ops, "kv_write", 0);
  EXPECT_DOUBLE_EQ(store.kv_bytes, 8.0 * 2 * 32 * 2);  // K and V of 8 tokens, f16: 1024
  EXPECT_DOUBLE_EQ(store.flops, 0);
}

TEST_F(PrefillCounts, ElementwiseAndHead) {
  EXPECT_DOUBLE_EQ(Find(ops, "attn_norm", 0).flops, 4.0 * 64 * 8);     // 2048
  EXPECT_DOUBLE_EQ(Find(ops, "attn_norm", 0).weight_bytes, 64.0 * 4);  // f32 norm weight
  EXPECT_DOUBLE_EQ(Find(ops, "rope", 0).flops, 3.0 * 8 * (64 + 32));   // 2304
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_act", 0).flops, 5.0 * 8 * 192);      // 7680
  // The embedding reads only the 8 rows used.
  EXPECT_DOUBLE_EQ(Find(ops, "token_embd", -1).weight_bytes, 8.0 * 64 * 4);
  // Logits of the last token only.
  const Op& head = Find(ops, "output", -1);
  EXPECT_DOUBLE_EQ(head.flops, 2.0 * 64 * 512);        // 65536
  EXPECT_DOUBLE_EQ(head.weight_bytes, 64.0 * 512 * 4);  // 131072
  EXPECT_DOUBLE_EQ(Find(ops, "sample", -1).flops, 3.0 * 512);
}

TEST_F(PrefillCounts, MatmulFlopsAreTwicePerTokenParameters) {
  double matmul_flops = 0;
  for (const Op& op : ops)
    if (op.op_class == OpClass::kMatmul && op.layer >= 0) matmul_flops += op.flops;
  const double layer_params = 64.0 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 192;  // 57344
  EXPECT_DOUBLE_EQ(matmul_flops, 2.0 * 8 * 2 * layer_params);
}

TEST(OpCounts, DecodeStepReadsTheWholeCache) {
  // One token with 10 cached: it attends to 11 positions per head.
  auto ops = BuildPassOps(Spec(SmallConfig(), DType::kF32, DType::kF16), ExecutionSpec{}, PassShape{1, 10, 1, 1, true});
  const Op& qk = Find(ops, "attn_scores", 1);
  EXPECT_DOUBLE_EQ(qk.flops, 2.0 * 16 * 4 * 11);   // 1408
  EXPECT_DOUBLE_EQ(qk.kv_bytes, 11.0 * 32 * 2);    // 704
}

TEST(OpCounts, KvReadPerQueryHead) {
  // mixq's engine: every query head reads its KV head's rows, so K and V are read
  // n_heads / n_kv_heads = 2 times over (q_dim 64 instead of kv_dim 32 per position).
  ExecutionSpec exec;
  exec.kv_per_query_head = true;
  auto ops = BuildPassOps(Spec(SmallConfig(), DType::kF32, DType::kF16), exec, PassShape{1, 10, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "attn_scores", 1).kv_bytes, 11.0 * 64 * 2);
  EXPECT_DOUBLE_EQ(Find(ops, "attn_values", 1).kv_bytes, 11.0 * 64 * 2);
  EXPECT_DOUBLE_EQ(Find(ops, "attn_scores", 1).flops, 2.0 * 16 * 4 * 11);  // arithmetic unchanged
}

TEST(OpCounts, QuantizedWeightsUseBitsPerWeight) {
  auto ops = BuildPassOps(Spec(SmallConfig(), DType::kQ4_0), ExecutionSpec{}, PassShape{1, 0, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "attn_q", 0).weight_bytes, 4096 * 4.5 / 8);  // 2304
  EXPECT_EQ(Find(ops, "attn_q", 0).weight_type, DType::kQ4_0);
  EXPECT_DOUBLE_EQ(Find(ops, "attn_norm", 0).weight_bytes, 64.0 * 4);  // norms stay f32
}

TEST(OpCounts, PerTensorTypesOverrideTheDefault) {
  ModelSpec spec = Spec(SmallConfig(), DType::kQ4_0);
  spec.weights.per_tensor["blk.1.ffn_down.weight"] = DType::kQ8_0;
  auto ops = BuildPassOps(spec, ExecutionSpec{}, PassShape{1, 0, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_down", 1).weight_bytes, 192 * 64 * 8.5 / 8);
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_down", 0).weight_bytes, 192 * 64 * 4.5 / 8);
}

TEST(OpCounts, BatchMultipliesActivationsNotWeights) {
  auto one = BuildPassOps(Spec(SmallConfig(), DType::kF32), ExecutionSpec{}, PassShape{1, 10, 1, 1, true});
  auto four = BuildPassOps(Spec(SmallConfig(), DType::kF32), ExecutionSpec{}, PassShape{1, 10, 4, 1, true});
  EXPECT_DOUBLE_EQ(Find(four, "attn_q", 0).flops, 4 * Find(one, "attn_q", 0).flops);
  EXPECT_DOUBLE_EQ(Find(four, "attn_q", 0).weight_bytes, Find(one, "attn_q", 0).weight_bytes);
  EXPECT_DOUBLE_EQ(Find(four, "attn_scores", 0).kv_bytes, 4 * Find(one, "attn_scores", 0).kv_bytes);
}

TEST(OpCounts, LoraAddsTwoSmallProducts) {
  ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  spec.lora.rank = 8;
  spec.lora.targets = {"attn_q"};
  spec.lora.type = DType::kF16;
  auto ops = BuildPassOps(spec, ExecutionSpec{}, PassShape{8, 0, 1, 1, true});
  const Op& lora = Find(ops, "lora", 0);
  EXPECT_DOUBLE_EQ(lora.flops, 2.0 * 8 * 8 * (64 + 64) + 8.0 * 64);  // A, B products + add
  EXPECT_DOUBLE_EQ(lora.weight_bytes, 8.0 * (64 + 64) * 2);          // f16 A and B
  EXPECT_EQ(lora.launches, 2);
}

TEST(OpCounts, BiasesAndQkNorm) {
  ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  spec.config.qkv_bias = true;
  spec.config.qk_norm = true;
  auto ops = BuildPassOps(spec, ExecutionSpec{}, PassShape{8, 0, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "attn_k", 0).flops, 32768 + 8.0 * 32);      // + bias adds
  EXPECT_DOUBLE_EQ(Find(ops, "attn_k", 0).weight_bytes, 8192 + 32.0 * 4);  // + f32 bias
  EXPECT_DOUBLE_EQ(Find(ops, "qk_norm", 0).flops, 4.0 * 16 * (4 + 2) * 8);
}

TEST(OpCounts, FusionRemovesIntermediateTraffic) {
  ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  ExecutionSpec fused;
  fused.fusion = Fusion{true, true, true, true};
  auto plain = BuildPassOps(spec, ExecutionSpec{}, PassShape{8, 0, 1, 1, true});
  auto ops = BuildPassOps(spec, fused, PassShape{8, 0, 1, 1, true});
  EXPECT_DOUBLE_EQ(Find(ops, "attn_k", 0).act_bytes, 8.0 * 32 * 4);  // input shared with q
  EXPECT_EQ(Find(ops, "attn_k", 0).launches, 0);
  EXPECT_DOUBLE_EQ(Find(ops, "softmax", 0).act_bytes, 0);           // scores stay on chip
  EXPECT_DOUBLE_EQ(Find(ops, "attn_scores", 0).act_bytes, 8.0 * 64 * 4);
  EXPECT_DOUBLE_EQ(Find(ops, "ffn_act", 0).act_bytes, 8.0 * 192 * 4);  // only the product
  EXPECT_DOUBLE_EQ(Find(ops, "attn_norm", 0).act_bytes, 8.0 * 64 * 4);  // read only
  double plain_launches = 0, fused_launches = 0, plain_bytes = 0, fused_bytes = 0;
  for (const Op& op : plain) plain_launches += op.launches, plain_bytes += op.bytes();
  for (const Op& op : ops) fused_launches += op.launches, fused_bytes += op.bytes();
  EXPECT_LT(fused_launches, plain_launches);
  EXPECT_LT(fused_bytes, plain_bytes);
}

// An engine that walks tokens in blocks of 3 streams each matrix ceil(8 / 3) = 3 times in an
// 8-token pass: 2 reads beyond the first; one block (or no blocking) reads it once.
TEST(OpCounts, TokenBlocksRereadWeights) {
  ExecutionSpec blocked;
  blocked.token_block = 3;
  const ModelSpec spec = Spec(SmallConfig(), DType::kF32);
  auto ops = BuildPassOps(spec, blocked, PassShape{8, 0, 1, 1, true});
  const Op& gate = Find(ops, "ffn_gate", 1);
  EXPECT_DOUBLE_EQ(gate.reread_bytes, 2 * 49152.0);  // 2 x (64 x 192 x 4)
  EXPECT_DOUBLE_EQ(gate.bytes(), gate.weight_bytes + gate.act_bytes);  // the first read only
  EXPECT_DOUBLE_EQ(Find(ops, "output", -1).reread_bytes, 0);  // one logits row
  for (const Op& op : ops)
    if (op.op_class != OpClass::kMatmul) {
      EXPECT_EQ(op.reread_bytes, 0) << op.group;
    }
  for (const Op& op : BuildPassOps(spec, blocked, PassShape{3, 5, 1, 1, true})) EXPECT_EQ(op.reread_bytes, 0);
  for (const Op& op : BuildPassOps(spec, ExecutionSpec{}, PassShape{8, 0, 1, 1, true})) EXPECT_EQ(op.reread_bytes, 0);
}

TEST(OpCounts, NonFinalChunkHasNoHead) {
  auto ops = BuildPassOps(Spec(SmallConfig(), DType::kF32), ExecutionSpec{}, PassShape{8, 0, 1, 0, false});
  for (const Op& op : ops) {
    EXPECT_NE(op.group, "output");
    EXPECT_NE(op.group, "sample");
  }
}

}  // namespace
}  // namespace mixq::forecast
