#include "scheduler/sequence.h"

#include <algorithm>

namespace hearth::scheduler {

using server::GenerationEvent;

bool Sequence::is_stop_token(std::int32_t token) const {
  return std::binary_search(stop_tokens.begin(), stop_tokens.end(), token);
}

server::Usage Sequence::usage() const {
  server::Usage u;
  u.prompt_tokens = n_prompt;
  u.completion_tokens = n_generated;
  u.cached_prompt_tokens = cached_prompt_tokens;
  return u;
}

bool Sequence::on_token(std::int32_t token, std::optional<server::TokenLogprob> logprob, server::Clock::time_point now,
                        Events& out) {
  if (is_stop_token(token)) {
    // The stop token counts as generated but is never part of the output.
    ++n_generated;
    finish(server::FinishReason::kStop, now, out, token);
    return true;
  }
  tokens.push_back(token);
  ++n_generated;
  sampler->accept(token);
  if (constraint) constraint->accept(token);

  GenerationEvent delta;
  delta.kind = GenerationEvent::Kind::kDelta;
  delta.time = now;
  delta.tokens = {token};
  if (logprob) delta.logprobs.push_back(std::move(*logprob));
  auto matched = stop_matcher->feed(detokenizer->push(token));
  delta.text = std::move(matched.text);
  out.push_back({sink, std::move(delta)});

  if (matched.stopped) {
    finish(server::FinishReason::kStop, now, out, std::nullopt, std::move(matched.matched));
    return true;
  }
  if (n_generated >= request.max_tokens) {
    finish(server::FinishReason::kLength, now, out);
    return true;
  }
  return false;
}

void Sequence::finish(server::FinishReason reason, server::Clock::time_point now, Events& out,
                      std::optional<std::int32_t> stop_token, std::string stop_string) {
  if (reason != server::FinishReason::kCancelled && stop_string.empty() && stop_matcher) {
    // Text held back (an unfinished UTF-8 character, a possible stop-string prefix) is released at the end.
    auto matched = stop_matcher->feed(detokenizer->flush());
    std::string rest = std::move(matched.text);
    if (matched.stopped) {
      stop_string = std::move(matched.matched);
      reason = server::FinishReason::kStop;
      stop_token.reset();
    } else {
      rest += stop_matcher->flush();
    }
    if (!rest.empty()) {
      GenerationEvent tail;
      tail.kind = GenerationEvent::Kind::kDelta;
      tail.time = now;
      tail.text = std::move(rest);
      out.push_back({sink, std::move(tail)});
    }
  }
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kFinished;
  e.time = now;
  e.finish_reason = reason;
  e.stop_token = stop_token;
  e.stop_string = std::move(stop_string);
  e.usage = usage();
  out.push_back({sink, std::move(e)});
}

void Sequence::fail(std::string message, server::Clock::time_point now, Events& out) {
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kError;
  e.time = now;
  e.error = std::move(message);
  e.usage = usage();
  out.push_back({sink, std::move(e)});
}

}  // namespace hearth::scheduler
