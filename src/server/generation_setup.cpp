#include "server/generation_setup.h"

#include <fmt/format.h>

#include <algorithm>

#include "chat/reasoning_parser.h"
#include "constrain/token_constraint.h"
#include "util/error.h"

namespace hearth::server {

namespace {
std::string strip_latest(const std::string& name) {
  constexpr std::string_view kLatest = ":latest";
  if (name.size() > kLatest.size() && name.ends_with(kLatest)) return name.substr(0, name.size() - kLatest.size());
  return name;
}
}  // namespace

void check_model_name(const ServerContext& ctx, const std::string& requested, ErrorStyle style) {
  if (requested.empty() || strip_latest(requested) == strip_latest(ctx.model_name())) return;
  if (style == ErrorStyle::kOllama) {
    throw ApiException(ApiError::not_found(fmt::format("model '{}' not found", requested)));
  }
  throw ApiException(ApiError::not_found(
      fmt::format("The model '{}' does not exist. This server serves '{}'.", requested, ctx.model_name()),
      "model_not_found"));
}

void check_capabilities(const ServerContext& ctx, const GenerationOptions& options, bool forced_tool_call) {
  const ModelInfo& info = ctx.service.model_info();
  if (options.constraint.kind != OutputConstraint::Kind::kNone && !info.supports_constraints) {
    throw ApiException(ApiError::unsupported(
        "response_format json_object/json_schema needs constrained decoding, which this engine does not support yet.",
        "response_format"));
  }
  if (info.supports_constraints) {
    // A schema constrained decoding cannot enforce is the client's problem (400 naming the keyword), found
    // here rather than as a failed generation.
    try {
      constrain::compile_constraint(options.constraint);
    } catch (const Error& e) {
      throw ApiException(ApiError::bad_request(fmt::format("Invalid value for 'response_format': {}", e.what()),
                                               "response_format", "invalid_value"));
    }
  }
  if (forced_tool_call && !info.supports_constraints) {
    throw ApiException(ApiError::unsupported(
        "tool_choice 'required' or a named function needs constrained decoding, which this engine does not support "
        "yet; use 'auto'.",
        "tool_choice"));
  }
  if (options.logprobs && !info.supports_logprobs) {
    throw ApiException(ApiError::unsupported("This engine does not report log-probabilities.", "logprobs"));
  }
}

std::optional<OutputConstraint::Reasoning> reasoning_before_constraint(const ServerContext& ctx,
                                                                       const GenerationOptions& options, bool thinking,
                                                                       const std::string& rendered_prompt) {
  if (options.constraint.kind == OutputConstraint::Kind::kNone || !thinking) return std::nullopt;
  const auto tags = ctx.frontend.reasoning_tags();
  if (!tags) return std::nullopt;
  OutputConstraint::Reasoning reasoning;
  if (!prompt_opens_reasoning(rendered_prompt)) reasoning.open = tags->open;
  reasoning.close = tags->close;
  return reasoning;
}

std::vector<GenerationRequest> make_generation_requests(const ServerContext& ctx, const GenerationOptions& options,
                                                        const std::vector<TokenId>& prompt, const std::string& id_base,
                                                        Clock::time_point arrival, const PromptLimits& limits) {
  int context = ctx.service.model_info().context_length;
  if (options.context_limit && *options.context_limit > 0) context = std::min(context, *options.context_limit);
  const int prompt_tokens = static_cast<int>(prompt.size());
  if (prompt.empty()) {
    throw ApiException(ApiError::bad_request("The prompt is empty.", limits.param, "invalid_value"));
  }
  if (prompt_tokens >= context) {
    throw ApiException(ApiError::bad_request(
        fmt::format("This model's maximum context length is {} tokens. However, your prompt has {} tokens, leaving no "
                    "room for the completion. Please reduce the length of the {}.",
                    context, prompt_tokens, limits.param),
        limits.param, "context_length_exceeded"));
  }
  int max_tokens = context - prompt_tokens;
  if (options.max_tokens) {
    if (*options.max_tokens > max_tokens && !limits.clamp_max_tokens) {
      throw ApiException(ApiError::bad_request(
          fmt::format("This model's maximum context length is {} tokens. However, you requested {} tokens ({} in the "
                      "{}, {} in the completion). Please reduce the length of the {} or the completion.",
                      context, prompt_tokens + *options.max_tokens, prompt_tokens, limits.param, *options.max_tokens,
                      limits.param),
          limits.param, "context_length_exceeded"));
    }
    max_tokens = std::min(max_tokens, *options.max_tokens);
  } else if (const auto& fallback = ctx.service.model_info().default_max_tokens) {
    max_tokens = std::min(max_tokens, std::max(*fallback, 1));
  }
  for (TokenId t : prompt) {
    if (t < 0 || t >= ctx.service.model_info().vocab_size) {
      throw ApiException(ApiError::bad_request(fmt::format("Token id {} is outside the vocabulary.", t), limits.param,
                                               "invalid_value"));
    }
  }

  std::vector<GenerationRequest> out;
  out.reserve(static_cast<std::size_t>(options.n));
  for (int i = 0; i < options.n; ++i) {
    GenerationRequest r;
    r.id = options.n == 1 ? id_base : fmt::format("{}#{}", id_base, i);
    r.prompt = prompt;
    r.sampling = options.sampling;
    // Choices of one request differ but stay reproducible: choice i samples with seed + i.
    if (r.sampling.seed && i > 0) r.sampling.seed = *r.sampling.seed + static_cast<std::uint64_t>(i);
    r.max_tokens = max_tokens;
    r.stop = options.stop;
    r.stop_token_ids = options.stop_token_ids;
    r.ignore_eos = options.ignore_eos;
    r.logprobs = options.logprobs;
    r.top_logprobs = options.top_logprobs;
    r.constraint = options.constraint;
    r.arrival = arrival;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hearth::server
