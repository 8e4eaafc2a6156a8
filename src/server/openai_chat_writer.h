#pragma once
// Formats /v1/chat/completions responses: one chat.completion object, or an SSE stream of
// chat.completion.chunk objects (role chunk, content / reasoning_content / tool_calls deltas, a final
// chunk with finish_reason, an optional usage chunk, then [DONE]).
#include <memory>
#include <string>
#include <vector>

#include "server/api_request.h"
#include "server/generation_job.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

struct OpenAIChatWriterOptions {
  std::string id;  // "chatcmpl-…"
  std::string model;
  std::int64_t created = 0;
  bool stream = false;
  bool include_usage = false;
  bool logprobs = false;
};

std::unique_ptr<ResponseWriter> make_openai_chat_writer(OpenAIChatWriterOptions options,
                                                        std::vector<std::unique_ptr<OutputParser>> parsers);

}  // namespace hearth::server
