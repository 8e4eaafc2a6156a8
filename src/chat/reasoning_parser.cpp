#include "chat/reasoning_parser.h"

#include <algorithm>

namespace hearth {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.empty() ? 0 : tag.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

ReasoningParser::ReasoningParser(bool starts_in_reasoning, std::string open_tag, std::string close_tag)
    : open_tag_(std::move(open_tag)),
      close_tag_(std::move(close_tag)),
      state_(starts_in_reasoning ? State::Reasoning : State::Start) {}

ReasoningDelta ReasoningParser::feed(std::string_view text) {
  pending_.append(text);
  ReasoningDelta out;
  drain(out, false);
  return out;
}

ReasoningDelta ReasoningParser::finish() {
  ReasoningDelta out;
  drain(out, true);
  return out;
}

void ReasoningParser::drain(ReasoningDelta& out, bool final) {
  while (true) {
    switch (state_) {
      case State::Start: {
        size_t first = 0;
        while (first < pending_.size() && is_space(pending_[first])) ++first;
        std::string_view rest = std::string_view(pending_).substr(first);
        if (rest.substr(0, open_tag_.size()) == open_tag_) {
          pending_.erase(0, first + open_tag_.size());
          state_ = State::Reasoning;
          continue;
        }
        // Still only whitespace, or a beginning of the open tag: wait for more.
        bool undecided = rest.size() < open_tag_.size() && std::string_view(open_tag_).substr(0, rest.size()) == rest;
        if (undecided && !final) return;
        state_ = State::Content;
        continue;
      }
      case State::Reasoning: {
        if (!reasoning_started_) {
          size_t n = 0;
          while (n < pending_.size() && pending_[n] == '\n') ++n;
          pending_.erase(0, n);
          if (pending_.empty()) return;
          reasoning_started_ = true;
        }
        size_t close = pending_.find(close_tag_);
        if (close != std::string::npos) {
          std::string_view reasoning = std::string_view(pending_).substr(0, close);
          while (!reasoning.empty() && reasoning.back() == '\n') reasoning.remove_suffix(1);
          out.reasoning.append(reasoning);
          pending_.erase(0, close + close_tag_.size());
          state_ = State::AfterReasoning;
          continue;
        }
        // Hold back a possible start of the close tag and trailing newlines (dropped if the tag follows).
        size_t keep = final ? 0 : partial_tag_suffix(pending_, close_tag_);
        size_t release = pending_.size() - keep;
        while (release > 0 && pending_[release - 1] == '\n') --release;
        if (final && release == 0) {
          pending_.clear();
          return;
        }
        out.reasoning.append(pending_, 0, release);
        pending_.erase(0, release);
        return;
      }
      case State::AfterReasoning: {
        size_t n = 0;
        while (n < pending_.size() && pending_[n] == '\n') ++n;
        pending_.erase(0, n);
        if (pending_.empty()) return;
        state_ = State::Content;
        continue;
      }
      case State::Content:
        out.content.append(pending_);
        pending_.clear();
        return;
    }
  }
}

ReasoningDelta split_reasoning(std::string_view output, bool starts_in_reasoning) {
  ReasoningParser parser(starts_in_reasoning);
  ReasoningDelta out = parser.feed(output);
  ReasoningDelta tail = parser.finish();
  out.reasoning += tail.reasoning;
  out.content += tail.content;
  return out;
}

bool prompt_opens_reasoning(std::string_view prompt, std::string_view open_tag, std::string_view close_tag) {
  size_t open = prompt.rfind(open_tag);
  if (open == std::string_view::npos) return false;
  size_t close = prompt.rfind(close_tag);
  return close == std::string_view::npos || close < open;
}

}  // namespace hearth
