#include "server/openai_format.h"

#include "server/json_util.h"
#include "server/stream_framing.h"

namespace hearth::server {

namespace {
nlohmann::json bytes_of(const std::string& s) {
  nlohmann::json b = nlohmann::json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}
}  // namespace

std::string openai_finish_reason(FinishReason reason, bool made_tool_calls) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStop:
    case FinishReason::kCancelled:
      return made_tool_calls ? "tool_calls" : "stop";
  }
  return "stop";
}

nlohmann::json openai_usage(const Usage& usage) {
  nlohmann::json u = {
      {"prompt_tokens", usage.prompt_tokens},
      {"completion_tokens", usage.completion_tokens},
      {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
  };
  if (usage.cached_prompt_tokens > 0) u["prompt_tokens_details"] = {{"cached_tokens", usage.cached_prompt_tokens}};
  return u;
}

nlohmann::json chat_logprob_entries(const std::vector<TokenLogprob>& logprobs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& lp : logprobs) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& t : lp.top)
      top.push_back({{"token", t.text}, {"logprob", t.logprob}, {"bytes", bytes_of(t.text)}});
    out.push_back({{"token", lp.text}, {"logprob", lp.logprob}, {"bytes", bytes_of(lp.text)}, {"top_logprobs", top}});
  }
  return out;
}

void CompletionLogprobs::add(const std::vector<TokenLogprob>& logprobs, std::size_t& text_offset_counter) {
  for (const auto& lp : logprobs) {
    tokens.push_back(lp.text);
    token_logprobs.push_back(lp.logprob);
    nlohmann::json top = nlohmann::json::object();
    for (const auto& t : lp.top) top[t.text] = t.logprob;
    top_logprobs.push_back(top);
    text_offset.push_back(text_offset_counter);
    text_offset_counter += lp.text.size();
  }
}

nlohmann::json CompletionLogprobs::to_json() const {
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top_logprobs},
          {"text_offset", text_offset}};
}

void end_openai_stream(Exchange& ex, nlohmann::json chunk_base, bool include_usage, const Usage& usage) {
  if (include_usage) {
    chunk_base["choices"] = nlohmann::json::array();
    chunk_base["usage"] = openai_usage(usage);
    ex.write(sse_event(dump_json(chunk_base)));
  }
  ex.write(sse_done());
  ex.end_stream();
}

void fail_openai_response(Exchange& ex, const ApiError& error, bool stream_started) {
  if (stream_started) {
    ex.write(sse_event(error_json(error, ErrorStyle::kOpenAI)));
    ex.write(sse_done());
    ex.end_stream();
  } else {
    ex.respond(error_response(error, ErrorStyle::kOpenAI));
  }
}

}  // namespace hearth::server
