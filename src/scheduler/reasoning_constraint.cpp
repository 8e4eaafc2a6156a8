#include "scheduler/reasoning_constraint.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "util/error.h"

namespace hearth::scheduler {

namespace {
constexpr float kForbidden = -std::numeric_limits<float>::infinity();
}  // namespace

int default_reasoning_budget(int max_tokens) { return std::max(2, max_tokens / 2); }

ReasoningFirstConstraint::ReasoningFirstConstraint(const server::OutputConstraint::Reasoning& reasoning,
                                                   std::vector<std::int32_t> output_enders,
                                                   std::unique_ptr<LogitsConstraint> answer)
    : reasoning_(reasoning),
      output_enders_(std::move(output_enders)),
      answer_(std::move(answer)),
      phase_(reasoning.open ? Phase::kOpen : Phase::kReasoning) {
  assert(answer_ != nullptr);
  require(reasoning_.max_tokens >= 2, "the reasoning budget must leave room for its tags, got {} tokens",
          reasoning_.max_tokens);
}

void ReasoningFirstConstraint::allow_only(std::span<float> logits, std::int32_t token) const {
  require(token >= 0 && static_cast<std::size_t>(token) < logits.size(), "reasoning tag token {} is out of range",
          token);
  const float keep = logits[static_cast<std::size_t>(token)];
  std::fill(logits.begin(), logits.end(), kForbidden);
  // Any finite value: the tag is the only choice, whatever the model thought of it.
  logits[static_cast<std::size_t>(token)] = keep == kForbidden ? 0.0f : keep;
}

void ReasoningFirstConstraint::mask(std::span<float> logits) {
  switch (phase_) {
    case Phase::kOpen:
      allow_only(logits, *reasoning_.open);
      return;
    case Phase::kReasoning:
      if (used_ + 1 >= reasoning_.max_tokens) {
        allow_only(logits, reasoning_.close);
        return;
      }
      for (std::int32_t t : output_enders_) {
        if (t >= 0 && static_cast<std::size_t>(t) < logits.size()) logits[static_cast<std::size_t>(t)] = kForbidden;
      }
      return;
    case Phase::kAnswer:
      answer_->mask(logits);
      return;
  }
}

void ReasoningFirstConstraint::accept(std::int32_t token) {
  switch (phase_) {
    case Phase::kOpen:
      require(token == *reasoning_.open, "constrained decoding: token {} is not the reasoning open tag", token);
      ++used_;
      phase_ = Phase::kReasoning;
      return;
    case Phase::kReasoning:
      ++used_;
      if (token == reasoning_.close) phase_ = Phase::kAnswer;
      return;
    case Phase::kAnswer:
      answer_->accept(token);
      return;
  }
}

}  // namespace hearth::scheduler
