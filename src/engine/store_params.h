#pragma once
// Sampling defaults a model in the local store carries (`hearth create` PARAMETER lines, under Ollama's names),
// which override the model's generation_config.json.
#include <nlohmann/json.hpp>

#include <optional>

#include "engine/sampler.h"

namespace hearth {

// The numeric value of `key` in a store model's parameters, or nullopt when absent or not a number.
std::optional<double> store_param(const nlohmann::json& params, const char* key);

// Applies temperature, top_k, top_p, min_p and repeat_penalty from `params` to `p`.
void apply_store_sampling_params(const nlohmann::json& params, SamplingParams& p);

}  // namespace hearth
