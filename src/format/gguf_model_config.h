#pragma once
// ModelConfig / GenerationConfig <-> GGUF metadata ("{arch}.block_count", "{arch}.attention.*",
// "{arch}.expert_*", "tokenizer.ggml.*_token_id", "general.sampling.*", ...), as llama.cpp reads
// and writes them. Integers are written as uint32 and floats as float32: llama.cpp checks the
// stored type of every key it reads.
#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/model_config.h"

namespace hearth {

// Throws hearth::Error naming the missing/invalid key or the unsupported general.architecture.
// tie_word_embeddings is derived from the tensors: no output.weight means tied embeddings.
// vocab_size is the number of token_embd.weight rows (else {arch}.vocab_size, else the token count).
ModelConfig model_config_from_gguf(const GgufFile& file);
// Special ids from tokenizer.ggml.{bos,eos,eot,eom,padding}_token_id; end-of-generation ids also
// include the control tokens "<|endoftext|>" / "<|im_end|>" when the vocabulary has them, as
// llama.cpp does. Sampling defaults from general.sampling.{temp,top_k,top_p,min_p,penalty_repeat};
// do_sample is false when general.sampling.temp is 0 (greedy).
GenerationConfig generation_config_from_gguf(const GgufFile& file);
// Writes general.architecture and every {arch}.* key llama.cpp needs for this architecture
// (plus {arch}.expert_weights_norm for MoE models). Throws for configurations llama.cpp's
// architecture cannot express (e.g. Qwen3-MoE mlp_only_layers).
void write_model_config(GgufWriter& writer, const ModelConfig& config);
// Writes the general.sampling.* keys for the sampling defaults that are set. A config with
// do_sample=false is written as temp 0 (greedy), as transformers ignores the temperature then.
void write_sampling_defaults(GgufWriter& writer, const GenerationConfig& generation);

// True for the general.architecture values Hearth runs ("qwen2", "qwen3", "qwen3moe").
bool is_supported_gguf_architecture(const std::string& arch);

}  // namespace hearth
