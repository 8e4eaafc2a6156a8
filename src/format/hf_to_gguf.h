#pragma once
// Hugging Face folder -> llama.cpp-compatible GGUF (what `hearth convert` does).
//
// Tensors are llama.cpp's (format/model_tensors.h): per-expert Hugging Face tensors are stacked
// into blk.N.ffn_{gate,up,down}_exps.weight {n_experts, rows, cols}; 1-D tensors (norms, biases)
// and the MoE router (ffn_gate_inp) are always F32, the other matrices take the requested type
// (round to nearest even), or the types of a quantization mixture (format/quantize_mix.h). No output.weight
// when the embeddings are tied.
//
// Metadata, in this order (integers uint32 unless noted, floats float32):
//   general.architecture, {arch}.context_length, embedding_length, block_count,
//   feed_forward_length, attention.head_count, attention.head_count_kv, attention.key_length,
//   attention.value_length, rope.dimension_count, rope.freq_base, attention.layer_norm_rms_epsilon,
//   and for qwen3moe expert_count, expert_used_count, expert_feed_forward_length,
//   expert_weights_norm (bool); general.type, general.name, general.file_type,
//   general.quantization_version; general.sampling.{top_k (int32), top_p, min_p, temp,
//   penalty_repeat} from generation_config.json; the tokenizer keys of format/hf_tokenizer_gguf.h.
// Streaming: one tensor (one expert of a stacked tensor) is converted at a time.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "format/quantize_mix.h"
#include "tensor/dtype.h"

namespace hearth {

struct ConvertOptions {
  DType type = DType::BF16;  // matrices: F32, F16 or BF16 (ignored when `mix` is set)
  // A quantization mixture (format/quantize_mix.h: f16, q8_0, q4_k_m, ...) instead of one type for all matrices.
  std::optional<QuantMix> mix;
  int threads = 0;  // encoding threads; <= 0: one per core
  // Called once per tensor before it is written ("[ 3/40] blk.0.attn_q.weight bf16 -> f16 [128, 64]").
  std::function<void(const std::string&)> progress;
};

struct ConvertResult {
  std::int64_t tensors = 0;
  std::uint64_t file_bytes = 0;
};

// Throws hearth::Error naming the problem; on failure no file is left at `out_path`.
ConvertResult convert_hf_to_gguf(const std::string& hf_dir, const std::string& out_path, const ConvertOptions& options);

// "f32" | "f16" | "bf16" (case-insensitive) -> DType; nullopt for anything else.
std::optional<DType> parse_convert_type(const std::string& name);

// general.file_type (llama.cpp's llama_ftype) for a file whose matrices are `type`.
std::uint32_t gguf_file_type(DType type);

}  // namespace hearth
