#include "mixq/io/gguf_export.h"

#include "mixq/io/gguf_writer.h"

namespace mixq {

Result<GgufArchExport> GgufExportArch(const ModelConfig& config, const std::string& source) {
  if (config.rope_scaling.enabled)
    return Err("[gguf] {}: llama3 RoPE scaling cannot be exported (llama.cpp needs a rope_freqs tensor, which "
               "mixq's GGUF loader does not read)", source);
  switch (config.arch) {
    case Architecture::kLlama:
    case Architecture::kMistral:
      return GgufArchExport{"llama", config.rope_layout == RopeLayout::kHalf};
    case Architecture::kQwen2:
    case Architecture::kQwen3: {
      const char* arch = config.arch == Architecture::kQwen2 ? "qwen2" : "qwen3";
      if (config.rope_layout != RopeLayout::kHalf)
        return Err("[gguf] {}: a {} model with interleaved RoPE cannot be exported ({} GGUF is rotate-half)", source,
                   arch, arch);
      return GgufArchExport{arch, false};
    }
  }
  return Err("[gguf] {}: unknown architecture", source);
}

Result<std::vector<GgufKeyValue>> GgufModelMetadata(const ModelConfig& c, const std::string& name,
                                                    const std::string& source) {
  MIXQ_ASSIGN_OR_RETURN(const GgufArchExport arch, GgufExportArch(c, source));
  MIXQ_RETURN_IF_ERROR(c.Validate(source));
  auto u32 = [&](const char* field, int64_t v) -> Result<GgufValue> {
    if (v < 0 || v > UINT32_MAX) return Err("[gguf] {}: {} = {} does not fit in u32", source, field, v);
    return GgufU32(static_cast<uint32_t>(v));
  };
  const std::string p = arch.arch + ".";
  std::vector<GgufKeyValue> kv = {{"general.architecture", GgufString(arch.arch)}, {"general.name", GgufString(name)}};
  struct Field {
    std::string key;
    int64_t value;
  };
  std::vector<Field> ints = {{"vocab_size", c.vocab_size},          {"context_length", c.max_seq_len},
                             {"embedding_length", c.dim},            {"block_count", c.n_layers},
                             {"feed_forward_length", c.hidden_dim},  {"rope.dimension_count", c.head_dim},
                             {"attention.head_count", c.n_heads},    {"attention.head_count_kv", c.n_kv_heads}};
  if (c.head_dim != c.dim / c.n_heads) {  // llama.cpp's default is embedding_length / head_count
    ints.push_back({"attention.key_length", c.head_dim});
    ints.push_back({"attention.value_length", c.head_dim});
  }
  for (const Field& f : ints) {
    MIXQ_ASSIGN_OR_RETURN(GgufValue v, u32(f.key.c_str(), f.value));
    kv.push_back({p + f.key, std::move(v)});
  }
  kv.push_back({p + "attention.layer_norm_rms_epsilon", GgufF32(c.norm_eps)});
  kv.push_back({p + "rope.freq_base", GgufF32(c.rope_theta)});
  return kv;
}

std::vector<GgufKeyValue> GgufCarriedMetadata(const GgufFile& source) {
  std::vector<GgufKeyValue> kv;
  for (const GgufKeyValue& item : source.metadata())
    if (item.key != "general.alignment" && item.key != "general.file_type" && item.key != "general.quantization_version")
      kv.push_back(item);
  return kv;
}

std::optional<uint32_t> LlamaFileType(DType dominant) {
  switch (dominant) {  // LLAMA_FTYPE_* values from llama.h
    case DType::kF32: return 0;      // ALL_F32
    case DType::kF16: return 1;      // MOSTLY_F16
    case DType::kQ4_0: return 2;     // MOSTLY_Q4_0
    case DType::kQ4_1: return 3;     // MOSTLY_Q4_1
    case DType::kQ8_0: return 7;     // MOSTLY_Q8_0
    case DType::kQ5_0: return 8;     // MOSTLY_Q5_0
    case DType::kQ5_1: return 9;     // MOSTLY_Q5_1
    case DType::kQ2_K: return 10;    // MOSTLY_Q2_K
    case DType::kQ3_K: return 12;    // MOSTLY_Q3_K_M
    case DType::kQ4_K: return 15;    // MOSTLY_Q4_K_M
    case DType::kQ5_K: return 17;    // MOSTLY_Q5_K_M
    case DType::kQ6_K: return 18;    // MOSTLY_Q6_K
    case DType::kIQ4_NL: return 25;  // MOSTLY_IQ4_NL
    case DType::kBF16: return 32;    // MOSTLY_BF16
    default: return std::nullopt;
  }
}

}  // namespace mixq
