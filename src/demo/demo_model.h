#pragma once
// Writes the demo model: a small Qwen3-MoE Hugging Face folder (config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json with a ChatML template, model.safetensors in BF16) that
// needs nothing from outside the repository. The tokenizer is trained on a short built-in text;
// attention and expert weights are random (so every code path computes), the output layer holds
// the text's bigram statistics so sampled text is recognisably made of its words.
#include <string>

namespace hearth::demo {

struct DemoModelInfo {
  std::int64_t vocab_size = 0;
  std::int64_t parameters = 0;
};

// Creates `folder` if needed; deterministic for a given `seed`. Throws hearth::Error on I/O failure.
DemoModelInfo write_demo_model(const std::string& folder, unsigned seed = 1234);

}  // namespace hearth::demo
