#include "engine/store_params.h"

#include <cstdint>

namespace hearth {

std::optional<double> store_param(const nlohmann::json& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

void apply_store_sampling_params(const nlohmann::json& params, SamplingParams& p) {
  if (auto v = store_param(params, "temperature")) p.temperature = static_cast<float>(*v);
  if (auto v = store_param(params, "top_k")) p.top_k = static_cast<std::int32_t>(*v);
  if (auto v = store_param(params, "top_p")) p.top_p = static_cast<float>(*v);
  if (auto v = store_param(params, "min_p")) p.min_p = static_cast<float>(*v);
  if (auto v = store_param(params, "repeat_penalty")) p.repetition_penalty = static_cast<float>(*v);
  if (auto v = store_param(params, "repeat_last_n")) p.repeat_last_n = static_cast<std::int32_t>(*v);
  if (auto v = store_param(params, "presence_penalty")) p.presence_penalty = static_cast<float>(*v);
  if (auto v = store_param(params, "frequency_penalty")) p.frequency_penalty = static_cast<float>(*v);
  if (auto v = store_param(params, "seed")) p.seed = static_cast<std::uint64_t>(static_cast<std::int64_t>(*v));
}

std::optional<std::int64_t> store_num_predict(const nlohmann::json& params) {
  const auto v = store_param(params, "num_predict");
  if (!v || *v < 0) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

}  // namespace hearth
