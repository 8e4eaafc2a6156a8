#pragma once
// Steps every generation route shares between parsing and GenerationJob: checking the model name and the
// engine's capabilities, tokenizing, enforcing the context length (a prompt that does not fit is a 400,
// never truncated), and building one GenerationRequest per choice.
#include <optional>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/api_request.h"
#include "server/server_context.h"

namespace hearth::server {

// Accepts the served name, the name with or without ":latest", or nothing. Throws 404 otherwise.
void check_model_name(const ServerContext& ctx, const std::string& requested, ErrorStyle style);

// Throws 400 for features the engine lacks (constrained output, logprobs, forced tool calls) and for a
// response_format schema that constrained decoding cannot enforce.
void check_capabilities(const ServerContext& ctx, const GenerationOptions& options, bool forced_tool_call = false);

struct PromptLimits {
  std::string param = "messages";  // the parameter named in context-length errors
  bool clamp_max_tokens = false;   // Ollama: num_predict beyond the context is clamped, not refused
};

// The reasoning block a response_format constraint must let through first: set when `options` has a
// constraint, `thinking` says the output begins with reasoning (thinking on for a model that thinks) and the
// model's tags are single tokens; the open tag is forced only when `rendered_prompt` did not open the block.
std::optional<OutputConstraint::Reasoning> reasoning_before_constraint(const ServerContext& ctx,
                                                                       const GenerationOptions& options, bool thinking,
                                                                       const std::string& rendered_prompt);

// One GenerationRequest per choice (n of them) for `prompt`. `id_base` names them in logs ("chatcmpl-x").
std::vector<GenerationRequest> make_generation_requests(const ServerContext& ctx, const GenerationOptions& options,
                                                        const std::vector<TokenId>& prompt, const std::string& id_base,
                                                        Clock::time_point arrival, const PromptLimits& limits);

}  // namespace hearth::server
