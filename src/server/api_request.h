#pragma once
// Typed API requests: what the OpenAI and Ollama parsers produce from JSON, and what the route handlers turn
// into GenerationRequests. Parsing validates every field (types, ranges, combinations) and throws
// ApiException (400) naming the offending parameter.
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/engine_interface.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

// Options shared by every generation endpoint.
struct GenerationOptions {
  std::string model;  // empty: the served model
  SamplingParams sampling;
  std::optional<int> max_tokens;  // unset: up to the end of the context
  std::vector<std::string> stop;
  std::vector<TokenId> stop_token_ids;
  bool ignore_eos = false;
  int n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  int top_logprobs = 0;
  OutputConstraint constraint;
  std::optional<int> context_limit;  // Ollama options.num_ctx: a smaller context for this request
};

struct ToolChoice {
  enum class Mode { kAuto, kNone, kRequired, kFunction };
  Mode mode = Mode::kAuto;
  std::string function;  // kFunction
};

struct ChatRequest {
  GenerationOptions options;
  ChatPromptInput prompt;
  ToolChoice tool_choice;
  bool parallel_tool_calls = true;
};

// OpenAI /v1/completions: one or more prompts, each text or token ids.
struct CompletionPrompt {
  std::string text;
  std::vector<TokenId> tokens;  // used when not empty
};

struct CompletionRequest {
  GenerationOptions options;
  std::vector<CompletionPrompt> prompts;
  bool echo = false;
};

// Ollama /api/chat and /api/generate.
struct OllamaChatRequest {
  GenerationOptions options;
  ChatPromptInput prompt;
  std::optional<config::Duration> keep_alive;
};

struct OllamaGenerateRequest {
  GenerationOptions options;
  std::string prompt;
  std::string system;
  bool raw = false;
  std::vector<TokenId> context;  // tokens of an earlier exchange to continue
  std::optional<bool> think;
  std::optional<config::Duration> keep_alive;
};

}  // namespace hearth::server
