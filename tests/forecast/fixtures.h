// Shared inputs of the forecast tests: the small hand-countable config of the issue and a
// device with round numbers, so expected times can be written down by hand.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/ops.h"

namespace mixq::forecast::testing {

// dim 64, hidden 192, 2 layers, 4 heads of 16, 2 KV heads, vocab 512, untied head.
inline ModelConfig SmallConfig() {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 192;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.vocab_size = 512;
  c.max_seq_len = 4096;
  c.tied_embeddings = false;
  return c;
}

// A Llama-2-7B-shaped config: big enough that decode streams weights from DRAM.
inline ModelConfig SevenBConfig() {
  ModelConfig c;
  c.dim = 4096;
  c.hidden_dim = 11008;
  c.n_layers = 32;
  c.n_heads = 32;
  c.n_kv_heads = 32;
  c.head_dim = 128;
  c.vocab_size = 32000;
  c.max_seq_len = 4096;
  return c;
}

// About 1B parameters with GQA (4 KV heads): a row length (2048) between SmallConfig's and
// SevenBConfig's.
inline ModelConfig MidConfig() {
  ModelConfig c = SevenBConfig();
  c.dim = 2048;
  c.hidden_dim = 5632;
  c.n_layers = 22;
  c.n_kv_heads = 4;
  c.head_dim = 64;
  return c;
}

inline ModelSpec Spec(const ModelConfig& config, DType weights, DType kv = DType::kF16) {
  ModelSpec spec;
  spec.config = config;
  spec.weights.default_type = weights;
  spec.kv_type = kv;
  return spec;
}

// 1 TFLOP/s in every compute type, 100 GB/s, efficiency 1, no overheads, f32 activations.
inline Device RoundDevice() {
  Device d;
  d.name = "round";
  d.kind = "cpu";
  d.memory_bandwidth = 100e9;
  d.peak = {{"f32", 1e12}, {"int8", 1e12}};
  d.matmul_compute = {{"default", "f32"}};
  d.exec.activation_type = DType::kF32;
  d.efficiency_source = "test";
  return d;
}

// The operator of `group` in `layer` (-1: outside the layers); a test failure if absent.
inline const Op& Find(const std::vector<Op>& ops, const std::string& group, int64_t layer) {
  for (const Op& op : ops)
    if (op.group == group && op.layer == layer) return op;
  ADD_FAILURE() << "no op " << group << " in layer " << layer;
  static Op none;
  return none;
}

// A workload of `prompt` prefill tokens and `gen` decode steps, everything else default.
inline Workload Load(int64_t prompt, int64_t gen) {
  Workload w;
  w.prompt = prompt;
  w.gen = gen;
  return w;
}

// The JSON text of a valid device file, for parser tests to break one field at a time.
std::string ValidDeviceJson();

}  // namespace mixq::forecast::testing
