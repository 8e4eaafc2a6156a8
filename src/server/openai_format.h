#pragma once
// Pieces of OpenAI response JSON shared by chat and completions.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "server/engine_interface.h"

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

}  // namespace hearth::server
