#include "scheduler/json_constraint.h"

#include "constrain/constraint_vocabulary.h"
#include "constrain/token_constraint.h"
#include "util/error.h"

namespace hearth::scheduler {

namespace {

class JsonLogitsConstraint final : public LogitsConstraint {
 public:
  JsonLogitsConstraint(std::shared_ptr<const constrain::ConstraintVocabulary> vocabulary,
                       std::unique_ptr<constrain::TokenConstraint> constraint)
      : vocabulary_(std::move(vocabulary)), constraint_(std::move(constraint)) {}
  void mask(std::span<float> logits) override { constraint_->mask(logits); }
  void accept(std::int32_t token) override {
    // The token was sampled from the masked row, so it is allowed; a refusal would be an engine bug.
    require(constraint_->accept(token), "constrained decoding: token {} is not allowed here", token);
  }
  bool complete() const override { return constraint_->complete(); }

 private:
  std::shared_ptr<const constrain::ConstraintVocabulary> vocabulary_;  // outlives constraint_
  std::unique_ptr<constrain::TokenConstraint> constraint_;
};

}  // namespace

ConstraintFactory make_json_constraint_factory(const Tokenizer& tokenizer) {
  std::shared_ptr<const constrain::ConstraintVocabulary> vocabulary = constrain::ConstraintVocabulary::from(tokenizer);
  return [vocabulary](const server::OutputConstraint& c) -> std::unique_ptr<LogitsConstraint> {
    auto constraint = constrain::TokenConstraint::create(c, *vocabulary);
    require(constraint != nullptr, "no output constraint requested");
    return std::make_unique<JsonLogitsConstraint>(vocabulary, std::move(constraint));
  };
}

}  // namespace hearth::scheduler
