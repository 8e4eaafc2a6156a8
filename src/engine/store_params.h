#pragma once
// Sampling defaults a model in the local store carries (`hearth create` PARAMETER lines, under Ollama's names),
// which override the model's generation_config.json.
#include <nlohmann/json.hpp>

#include <optional>

#include "engine/sampler.h"

namespace hearth {

// The numeric value of `key` in a store model's parameters, or nullopt when absent or not a number.
std::optional<double> store_param(const nlohmann::json& params, const char* key);

// Applies temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty
// and seed from `params` to `p` (hearth run and hearth serve alike; a request's own values win over these).
void apply_store_sampling_params(const nlohmann::json& params, SamplingParams& p);

// num_predict: the number of tokens to generate when the user names none; nullopt when absent or negative
// (Ollama's -1: no limit).
std::optional<std::int64_t> store_num_predict(const nlohmann::json& params);

}  // namespace hearth
