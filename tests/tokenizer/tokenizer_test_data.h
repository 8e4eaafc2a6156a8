#pragma once
// Reference data for the tokenizer suites: Qwen3's tokenizer from the tiny models, the cases of
// ../shared/reference/tokenizer.json and llama.cpp's ggml-vocab-qwen2 tests.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace hearth::test {

// The tiny model folder whose tokenizer the references were made with.
std::string qwen_model_dir();

// Loaded once per test program (tokenizer.json + tokenizer_config.json of qwen3-tiny).
const Tokenizer& qwen_tokenizer();

// ../shared/reference/tokenizer.json.
const nlohmann::json& tokenizer_reference();

struct GgmlVocabCase {
  std::string text;
  std::vector<TokenId> ids;
};

// The 46 cases of ../shared/data/tokenizer-tests/ggml-vocab-qwen2.gguf.{inp,out}: cases are
// separated by "\n__ggml_vocab_test__\n" (the file ends with one, so texts keep their own leading
// and trailing newlines); the .out file has one line of space-separated ids per case.
std::vector<GgmlVocabCase> ggml_vocab_qwen2_cases();

std::vector<TokenId> ids_of(const nlohmann::json& array);

}  // namespace hearth::test
