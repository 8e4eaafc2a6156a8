#pragma once
// A response_format constraint that starts after a reasoning block: for reasoning models with thinking on,
// the output is "<think>reasoning</think>answer" and only the answer must parse (vLLM applies structured
// output after its reasoning parser sees the end of reasoning in the same way).
//
// Phases, token by token:
//   open       only the open tag may come (skipped when the prompt already opened the block);
//   reasoning  anything but the tokens that would end the output (end-of-generation / stop tokens), so an
//              answer always follows; when the block has used its budget but one token, only the close tag;
//   answer     the wrapped constraint, from the token after the close tag.
// The budget (Reasoning::max_tokens, tags included) keeps a model that never closes its reasoning from
// spending all of max_tokens on it and returning no answer.
//
// Thread safety: one per sequence, on the engine thread.
#include <cstdint>
#include <memory>
#include <vector>

#include "scheduler/logits_constraint.h"

namespace hearth::scheduler {

class ReasoningFirstConstraint final : public LogitsConstraint {
 public:
  // REQUIRES: reasoning.max_tokens >= 2 (room for the tags); `answer` not null. `output_enders` are the
  // sequence's end-of-generation and stop tokens.
  ReasoningFirstConstraint(const server::OutputConstraint::Reasoning& reasoning,
                           std::vector<std::int32_t> output_enders, std::unique_ptr<LogitsConstraint> answer);

  void mask(std::span<float> logits) override;
  void accept(std::int32_t token) override;
  bool complete() const override { return phase_ == Phase::kAnswer && answer_->complete(); }

  bool in_answer() const { return phase_ == Phase::kAnswer; }

 private:
  enum class Phase { kOpen, kReasoning, kAnswer };
  void allow_only(std::span<float> logits, std::int32_t token) const;

  server::OutputConstraint::Reasoning reasoning_;
  std::vector<std::int32_t> output_enders_;
  std::unique_ptr<LogitsConstraint> answer_;
  Phase phase_;
  int used_ = 0;  // tokens of the reasoning block so far, tags included
};

// Half of max_tokens, at least 2: the budget when the request names none.
int default_reasoning_budget(int max_tokens);

}  // namespace hearth::scheduler
