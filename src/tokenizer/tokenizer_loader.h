#pragma once
// Building a Tokenizer from what a model ships: a Hugging Face tokenizer.json (with
// tokenizer_config.json for the special tokens) or a GGUF file's tokenizer.ggml.* metadata.
#include <memory>
#include <string>

#include "format/gguf_reader.h"
#include "format/model_files.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_spec.h"

namespace hearth {

// Parses tokenizer.json (streamed: the 11 MB Qwen file loads in about 0.1 s) and, when
// `config_path` is not empty, tokenizer_config.json (bos/eos/pad/unk tokens, add_bos_token).
// Throws hearth::Error naming the file and the problem, including for tokenizers that are not
// byte-level BPE (SentencePiece, WordPiece) and for normalizers or pre-tokenizers Hearth lacks.
TokenizerSpec read_tokenizer_json(const std::string& json_path, const std::string& config_path = "");

// Reads tokenizer.ggml.{model,pre,tokens,token_type,merges,*_token_id,add_bos_token,add_eos_token}.
// The model must be "gpt2" (byte-level BPE); "pre" picks the pre-tokenizer: qwen2 (with NFC, as
// Qwen's tokenizer.json), deepseek-r1-qwen, llama-bpe/llama3, gpt-2. Throws hearth::Error otherwise.
TokenizerSpec read_tokenizer_gguf(const GgufFile& file);

std::unique_ptr<Tokenizer> load_tokenizer_json(const std::string& json_path, const std::string& config_path = "");
std::unique_ptr<Tokenizer> load_tokenizer_gguf(const GgufFile& file);

// The tokenizer of a model opened with open_model_files (weights need not be loaded): a folder's
// tokenizer.json + tokenizer_config.json, or a GGUF's metadata. id_limit() becomes the model's
// embedding rows (config.vocab_size, so padding ids decode to nothing) and generation_config.json's
// eos_token_id joins the end-of-generation set.
std::unique_ptr<Tokenizer> load_tokenizer(const ModelFiles& files);

}  // namespace hearth
