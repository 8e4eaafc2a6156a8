#include "scheduler/framed_constraint.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "util/error.h"

namespace hearth::scheduler {

namespace {

constexpr float kForbidden = -std::numeric_limits<float>::infinity();

float logit_or_forbidden(std::span<const float> logits, std::int32_t token) {
  if (token < 0 || static_cast<std::size_t>(token) >= logits.size()) return kForbidden;
  return logits[static_cast<std::size_t>(token)];
}

// Only `token` stays; it keeps the model's logit when it had one (any finite value works: it is the only choice).
void allow_only(std::span<float> logits, std::int32_t token) {
  require(token >= 0 && static_cast<std::size_t>(token) < logits.size(), "frame token {} is out of range", token);
  const float keep = logits[static_cast<std::size_t>(token)];
  std::fill(logits.begin(), logits.end(), kForbidden);
  logits[static_cast<std::size_t>(token)] = keep == kForbidden ? 0.0f : keep;
}

}  // namespace

FramedConstraint::FramedConstraint(server::OutputConstraint::Frame frame, std::vector<std::int32_t> output_enders,
                                   std::unique_ptr<LogitsConstraint> body, BodyFactory make_body)
    : frame_(std::move(frame)),
      output_enders_(std::move(output_enders)),
      body_(std::move(body)),
      make_body_(std::move(make_body)),
      phase_(frame_.open.empty() ? Phase::kBody : Phase::kOpen) {
  assert(body_ != nullptr);
  if (frame_.repeat) {
    require(static_cast<bool>(make_body_), "a repeating frame needs a body factory");
    again_ = frame_.between;
    again_.insert(again_.end(), frame_.open.begin(), frame_.open.end());
    require(!again_.empty(), "a repeating frame needs tokens that start the next call");
  }
  after_close_ = output_enders_;
  if (may_repeat()) after_close_.push_back(again_.front());
}

void FramedConstraint::mask(std::span<float> logits) {
  switch (phase_) {
    case Phase::kOpen:
      allow_only(logits, frame_.open[opened_]);
      return;
    case Phase::kBody: {
      const float close = logit_or_forbidden(logits, frame_.close);
      body_->mask(logits);
      for (std::int32_t t : output_enders_)
        if (t >= 0 && static_cast<std::size_t>(t) < logits.size()) logits[static_cast<std::size_t>(t)] = kForbidden;
      if (body_->complete() && frame_.close >= 0 && static_cast<std::size_t>(frame_.close) < logits.size()) {
        logits[static_cast<std::size_t>(frame_.close)] = close == kForbidden ? 0.0f : close;
      }
      return;
    }
    case Phase::kDone: {
      if (output_enders_.empty()) return;
      // The end of generation, or (repeat) the start of another call, each with the model's own logit.
      std::vector<float> kept;
      kept.reserve(after_close_.size());
      for (std::int32_t t : after_close_) kept.push_back(logit_or_forbidden(logits, t));
      std::fill(logits.begin(), logits.end(), kForbidden);
      for (std::size_t i = 0; i < after_close_.size(); ++i) {
        const std::int32_t t = after_close_[i];
        if (t >= 0 && static_cast<std::size_t>(t) < logits.size())
          logits[static_cast<std::size_t>(t)] = kept[i] == kForbidden ? 0.0f : kept[i];
      }
      return;
    }
    case Phase::kAgain:
      allow_only(logits, again_[opened_]);
      return;
  }
}

void FramedConstraint::accept(std::int32_t token) {
  switch (phase_) {
    case Phase::kOpen:
      require(token == frame_.open[opened_], "constrained decoding: token {} is not the frame's opening token {}",
              token, frame_.open[opened_]);
      if (++opened_ == frame_.open.size()) phase_ = Phase::kBody;
      return;
    case Phase::kBody:
      if (token == frame_.close) {
        require(body_->complete(), "constrained decoding: the frame closed before its document was complete");
        phase_ = Phase::kDone;
        return;
      }
      body_->accept(token);
      return;
    case Phase::kDone:
      if (may_repeat() && token == again_.front()) {
        opened_ = 0;
        phase_ = Phase::kAgain;
        accept(token);
      }
      return;
    case Phase::kAgain:
      require(token == again_[opened_], "constrained decoding: token {} is not the next call's opening token {}", token,
              again_[opened_]);
      if (++opened_ == again_.size()) {
        body_ = make_body_();
        require(body_ != nullptr, "the body factory of a repeating frame returned no constraint");
        phase_ = Phase::kBody;
      }
      return;
  }
}

}  // namespace hearth::scheduler
