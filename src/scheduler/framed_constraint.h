#pragma once
// A constraint framed by fixed tokens: a forced tool call ("<tool_call>\n{...}\n</tool_call>") is the
// JSON constraint of the call's object between the chat template's tags.
//
// Phases, token by token:
//   open   only the next token of Frame::open (forced, whatever the model prefers);
//   body   the wrapped constraint; the output may not end here, and once the body is complete the close
//          tag is allowed too, with the model's own logit for it, so that the model decides when to stop
//          (usually after the "\n" the template puts before the tag, which the JSON body allows as trailing
//          whitespace);
//   done   after the close tag only the end of generation (the sequence's end-of-generation and stop tokens),
//          or with Frame::repeat also the first token of Frame::between + Frame::open, which starts
//   again  the rest of between + open, forced, then a new body from the body factory (phase body).
//   With no end-of-generation tokens (the request ignores them) nothing is constrained after the close tag.
//
// Thread safety: one per sequence, on the engine thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "scheduler/logits_constraint.h"

namespace hearth::scheduler {

class FramedConstraint final : public LogitsConstraint {
 public:
  // REQUIRES: body not null. `output_enders` are the sequence's end-of-generation and stop tokens (empty when
  // the request ignores the end of generation: then nothing is forced after the close tag).
  // `make_body` builds the body of each further call; required when frame.repeat is set.
  using BodyFactory = std::function<std::unique_ptr<LogitsConstraint>()>;
  FramedConstraint(server::OutputConstraint::Frame frame, std::vector<std::int32_t> output_enders,
                   std::unique_ptr<LogitsConstraint> body, BodyFactory make_body = {});

  void mask(std::span<float> logits) override;
  void accept(std::int32_t token) override;
  bool complete() const override { return phase_ == Phase::kDone; }

 private:
  enum class Phase { kOpen, kBody, kDone, kAgain };

  bool may_repeat() const { return frame_.repeat && !output_enders_.empty(); }

  server::OutputConstraint::Frame frame_;
  std::vector<std::int32_t> output_enders_;
  std::unique_ptr<LogitsConstraint> body_;
  BodyFactory make_body_;
  std::vector<std::int32_t> again_;  // frame_.between + frame_.open
  std::vector<std::int32_t> after_close_;  // what may follow the close tag: the enders, and again_[0] if may_repeat()
  Phase phase_;
  std::size_t opened_ = 0;  // tokens of frame_.open (kOpen) or of again_ (kAgain) emitted so far
};

}  // namespace hearth::scheduler
