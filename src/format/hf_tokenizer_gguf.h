#pragma once
// Writes a Hugging Face byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json) as the
// GGUF tokenizer keys, the way llama.cpp's convert_hf_to_gguf.py does for Qwen models:
//   tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre = "qwen2",
//   tokenizer.ggml.tokens / token_type: one entry per embedding row; ids the tokenizer does not
//     use become "[PAD<id>]" of type UNUSED; added tokens are CONTROL when special (or when they
//     look special, "<|...|>"), USER_DEFINED otherwise; the rest NORMAL,
//   tokenizer.ggml.merges as "left right" strings (spaces inside a part written as U+0120),
//   tokenizer.ggml.{bos,eos,unknown,seperator,padding,mask}_token_id from tokenizer_config.json's
//     *_token strings, falling back to config.json's *_token_id,
//   tokenizer.ggml.add_bos_token (false unless tokenizer_config.json says otherwise), add_eos/sep
//     when tokenizer_config.json sets them,
//   tokenizer.chat_template (+ tokenizer.chat_template.NAME for named templates).
#include <cstdint>
#include <string>

#include "format/gguf_writer.h"

namespace hearth {

// GGUF token types (tokenizer.ggml.token_type), as llama.cpp numbers them.
enum class GgufTokenType : std::int32_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

// `vocab_size` is the embedding's row count (the token list is padded to it). Throws
// hearth::Error naming the file and problem (missing tokenizer.json, non-BPE model, id past vocab_size).
void write_hf_tokenizer(GgufWriter& writer, const std::string& folder, std::int64_t vocab_size);

}  // namespace hearth
