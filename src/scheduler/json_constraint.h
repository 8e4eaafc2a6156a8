#pragma once
// The engine's ConstraintFactory for response_format json_object / json_schema, over src/constrain's
// TokenConstraint (a JSON pushdown automaton masking the model's vocabulary).
#include <memory>

#include "scheduler/logits_constraint.h"
#include "tokenizer/tokenizer.h"

namespace hearth::scheduler {

// Builds the model's ConstraintVocabulary once (about 0.1 s for 151k tokens) and returns a factory that
// compiles each request's schema into a per-sequence constraint. Throws hearth::Error (from the factory) for
// a schema constrained decoding does not support; the request then ends with kError naming the problem.
ConstraintFactory make_json_constraint_factory(const Tokenizer& tokenizer);

}  // namespace hearth::scheduler
