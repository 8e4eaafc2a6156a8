#pragma once
// Reading the JSON files of a Hugging Face model folder (config.json, tokenizer_config.json, ...).
#include <nlohmann/json.hpp>

#include <string>

namespace hearth {

// The parsed file; throws hearth::Error naming the file when it cannot be read or is not valid JSON.
nlohmann::json read_json_file(const std::string& path);

}  // namespace hearth
