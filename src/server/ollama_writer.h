#pragma once
// Formats Ollama /api/chat and /api/generate responses: NDJSON lines while streaming ("done": false), then
// a final line with done_reason, token counts and durations in nanoseconds; or that final object alone
// with the whole output when "stream": false.
#include <memory>
#include <string>
#include <vector>

#include "server/generation_job.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

struct OllamaWriterOptions {
  bool chat = true;  // /api/chat ("message") or /api/generate ("response")
  std::string model;
  bool stream = true;
  std::vector<TokenId> prompt;  // /api/generate returns prompt + output tokens as "context"
};

std::unique_ptr<ResponseWriter> make_ollama_writer(OllamaWriterOptions options, std::unique_ptr<OutputParser> parser);

}  // namespace hearth::server
