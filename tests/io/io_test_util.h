// Builders of small synthetic model files for the io tests: safetensors bytes with a
// hand-written header, and Hugging Face directories whose tensors match a config.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "mixq/io/hf_model.h"
#include "mixq/io/model_check.h"
#include "mixq/io/safetensors.h"
#include "support/test_support.h"

namespace mixq::testing {

// u64 header length + header text + `blob_bytes` bytes (value i % 251).
inline std::string SafetensorsBytes(const std::string& header, size_t blob_bytes) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out += header;
  for (size_t i = 0; i < blob_bytes; ++i) out.push_back(static_cast<char>(i % 251));
  return out;
}

// A small valid Llama config.json; tests edit fields to make it bad.
inline nlohmann::json TinyHfConfigJson() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"hidden_size", 16},
          {"intermediate_size", 24},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"num_key_value_heads", 2},
          {"vocab_size", 32},
          {"max_position_embeddings", 64},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"tie_word_embeddings", false}};
}

// F32 tensors under HF names for every tensor `config` requires, with distinct contents.
struct OwnedTensors {
  std::vector<Tensor> tensors;
  std::vector<std::vector<float>> storage;

  Tensor* Find(const std::string& name) {
    for (Tensor& t : tensors)
      if (t.name == name) return &t;
    return nullptr;
  }
  // Gives tensor `name` a new shape (and matching zero-filled storage).
  void Reshape(const std::string& name, std::vector<int64_t> shape) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == name) {
        tensors[i].shape = std::move(shape);
        storage[i].assign(static_cast<size_t>(tensors[i].numel()), 0.0f);
        tensors[i].data = storage[i].data();
        tensors[i].nbytes = storage[i].size() * sizeof(float);
      }
  }
  void Remove(const std::string& name) {
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].name == name) {
        tensors.erase(tensors.begin() + static_cast<std::ptrdiff_t>(i));
        storage.erase(storage.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
  }
};

inline OwnedTensors MakeHfTensors(const ModelConfig& config) {
  OwnedTensors out;
  for (const ExpectedTensor& e : ExpectedModelTensors(config)) {
    Tensor t;
    t.name = HfNameFromCanonical(e.name);
    t.dtype = DType::kF32;
    t.shape = e.shape;
    std::vector<float> values(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(out.tensors.size()) + 0.001f * i;
    out.storage.push_back(std::move(values));
    out.tensors.push_back(t);
  }
  for (size_t i = 0; i < out.tensors.size(); ++i) {
    out.tensors[i].data = out.storage[i].data();
    out.tensors[i].nbytes = out.storage[i].size() * sizeof(float);
  }
  return out;
}

// Writes dir/config.json and dir/model.safetensors; returns the directory.
inline std::string WriteHfDir(const std::string& dir, const nlohmann::json& config, const OwnedTensors& tensors) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  WriteStringToFile(dir + "/config.json", config.dump(2));
  const Status st = WriteSafetensors(dir + "/model.safetensors", tensors.tensors);
  EXPECT_TRUE(st.ok()) << st.message();
  return dir;
}

// Config parsed from json (must succeed).
inline ModelConfig ConfigFromJson(const nlohmann::json& j) {
  Result<ModelConfig> c = ParseHfConfig(j.dump(), "test");
  EXPECT_TRUE(c.ok()) << c.message();
  return c.ok() ? *c : ModelConfig{};
}

}  // namespace mixq::testing
