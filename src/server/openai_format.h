#pragma once
// Pieces of OpenAI responses shared by chat and completions: JSON fields, and the end of an SSE stream.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/engine_interface.h"
#include "server/exchange.h"

namespace hearth::server {

// "stop" | "length"; a stop that produced tool calls is "tool_calls".
std::string openai_finish_reason(FinishReason reason, bool made_tool_calls);

// {"prompt_tokens","completion_tokens","total_tokens"[,"prompt_tokens_details":{"cached_tokens"}]}
nlohmann::json openai_usage(const Usage& usage);

// Chat logprobs entries: {"token","logprob","bytes","top_logprobs":[...]} per token.
nlohmann::json chat_logprob_entries(const std::vector<TokenLogprob>& logprobs);

// Legacy completions logprobs, accumulated over a choice.
struct CompletionLogprobs {
  nlohmann::json tokens = nlohmann::json::array();
  nlohmann::json token_logprobs = nlohmann::json::array();
  nlohmann::json top_logprobs = nlohmann::json::array();
  nlohmann::json text_offset = nlohmann::json::array();
  void add(const std::vector<TokenLogprob>& logprobs, std::size_t& text_offset_counter);
  nlohmann::json to_json() const;
};

// Ends a streamed response: with `include_usage`, a chunk of `chunk_base` (id, object, created, model) with no
// choices and the usage; then [DONE].
void end_openai_stream(Exchange& ex, nlohmann::json chunk_base, bool include_usage, const Usage& usage);

// Reports a failed request: an error event and [DONE] when a stream already started (its status line is out),
// else an error response with the error's status.
void fail_openai_response(Exchange& ex, const ApiError& error, bool stream_started);

}  // namespace hearth::server
