#pragma once
// The hook for output constraints (response_format json_object / json_schema): a per-sequence object that
// masks the logits row before sampling so that only tokens keeping the output valid can be drawn, and is
// told which token was drawn. The scheduler calls, for every sampled token of a constrained sequence:
//   mask(logits)  on a private copy of the row (set forbidden tokens to -infinity), then samples from it,
//   accept(token) with the token drawn.
// A ConstraintFactory builds one for a request; the engine without a factory refuses constrained requests
// (ModelInfo::supports_constraints is false).
//
// Thread safety: one constraint belongs to one sequence on the engine thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "server/engine_interface.h"

namespace hearth::scheduler {

class LogitsConstraint {
 public:
  virtual ~LogitsConstraint() = default;
  // Sets every token the constraint forbids now to -infinity.
  virtual void mask(std::span<float> logits) = 0;
  // Advances the constraint's state by the token sampled from the masked row.
  virtual void accept(std::int32_t token) = 0;
  // The output so far is complete: the end of generation may come now.
  virtual bool complete() const = 0;
};

// Builds the constraint for a request. Throws hearth::Error for a constraint it cannot enforce (the request
// then ends with kError carrying the message).
using ConstraintFactory = std::function<std::unique_ptr<LogitsConstraint>(const server::OutputConstraint&)>;

}  // namespace hearth::scheduler
