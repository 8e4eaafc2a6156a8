#pragma once
// Splits a reasoning model's output (Qwen3, QwQ, DeepSeek-R1 style) into the reasoning inside
// <think>...</think> and the answer after it. Works incrementally: text can arrive token by token and
// the parser never emits part of a tag; a tag split across chunks is held back until it is complete.
//
// Newlines framing the reasoning are dropped the way Qwen3's template drops them when it renders an
// assistant turn back (reasoning_content.strip('\n'), content.lstrip('\n')), so a parsed reply
// re-renders to the text the model produced.
#include <string>
#include <string_view>

namespace hearth {

struct ReasoningDelta {
  std::string reasoning;
  std::string content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningParser {
 public:
  // `starts_in_reasoning`: the prompt already opened the reasoning block (see
  // prompt_opens_reasoning), so the output begins inside it. Otherwise a reasoning block is
  // recognised only at the very start of the output (after optional whitespace).
  explicit ReasoningParser(bool starts_in_reasoning = false, std::string open_tag = "<think>",
                           std::string close_tag = "</think>");

  // Consumes the next piece of output; returns what can be released now.
  ReasoningDelta feed(std::string_view text);
  // End of output: releases held-back text (an unclosed reasoning block stays reasoning).
  ReasoningDelta finish();

  bool in_reasoning() const { return state_ == State::Reasoning; }

 private:
  enum class State { Start, Reasoning, AfterReasoning, Content };
  void drain(ReasoningDelta& out, bool final);

  std::string open_tag_, close_tag_;
  State state_;
  bool reasoning_started_ = false;  // the first non-newline reasoning character was seen
  std::string pending_;             // text not yet released
};

// Non-streaming convenience: the whole output at once.
ReasoningDelta split_reasoning(std::string_view output, bool starts_in_reasoning = false);

// True when a rendered prompt ends inside an open reasoning block: its last "<think>" comes after its
// last "</think>" (DeepSeek-R1 and QwQ templates open the block for the model).
bool prompt_opens_reasoning(std::string_view prompt, std::string_view open_tag = "<think>",
                            std::string_view close_tag = "</think>");

// Length of the longest suffix of `text` that is a proper prefix of `tag` (text that might turn
// into the tag once more output arrives).
size_t partial_tag_suffix(std::string_view text, std::string_view tag);

}  // namespace hearth
