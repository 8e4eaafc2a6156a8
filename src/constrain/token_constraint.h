#pragma once
// Token-level constrained decoding: response_format json_object / json_schema.
//
// Usage (one engine thread):
//   auto vocab = ConstraintVocabulary::from(tokenizer);            // once per model (~0.1 s for 151k tokens)
//   auto c = TokenConstraint::create(request.constraint, *vocab);  // per request; nullptr for kNone;
//                                                                  // throws hearth::Error on a bad schema
//   loop: c->mask(logits);  sample;  c->accept(token);  stop on an end-of-generation token
//
// The output (token bytes concatenated) is always a prefix of a valid document, and generation can only end
// (an end-of-generation token is only allowed) when the document is complete. See json_grammar.h for the
// JSON Schema subset and how a schema is generated (property order, whitespace cap, ...).
//
// A request's constraint is not thread-safe (mask() is const but uses internal scratch space); different
// requests' constraints may be used from different threads. The vocabulary must outlive its constraints.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "constrain/constraint_vocabulary.h"
#include "constrain/json_automaton.h"
#include "constrain/json_grammar.h"
#include "server/engine_interface.h"

namespace hearth::constrain {

// Compiles a request's constraint without a vocabulary (cheap): for validating a request before it is queued.
// nullptr for kNone. Throws hearth::Error with a one-line message for an invalid or unsupported schema.
std::shared_ptr<const JsonGrammar> compile_constraint(const server::OutputConstraint& constraint);

class TokenConstraint {
 public:
  // nullptr for OutputConstraint::Kind::kNone. Throws hearth::Error (message names the schema problem, e.g.
  // "JSON schema keyword 'pattern' is not supported by constrained decoding (at #/properties/zip)").
  static std::unique_ptr<TokenConstraint> create(const server::OutputConstraint& constraint,
                                                 const ConstraintVocabulary& vocabulary);
  TokenConstraint(std::shared_ptr<const JsonGrammar> grammar, const ConstraintVocabulary& vocabulary);

  // Sets to -infinity the logits of every token that cannot come next: tokens that would make the output
  // invalid, special/added tokens, ids at or past the vocabulary's id_limit(), and end-of-generation tokens
  // unless complete(). `logits` is indexed by token id (any length). At least one token is always allowed
  // while the output is unfinished.
  void mask(std::span<float> logits) const;
  // The same decision as a bit set: bit `id` of words[id / 64] is set when token `id` may come next.
  void allowed(std::vector<std::uint64_t>& words) const;
  // Whether one token may come next (cheaper than mask() for a single candidate).
  bool allows(std::int32_t token) const;

  // Advances past `token`. Returns false, changing nothing, when the token is not allowed (a caller bug:
  // sample from masked logits). An end-of-generation token is accepted only when complete().
  bool accept(std::int32_t token);

  // The output so far is a complete valid document: end-of-generation tokens are allowed now.
  bool complete() const;
  // Nothing but the end of generation may follow (the document is complete and cannot be extended), or an
  // end-of-generation token was accepted.
  bool finished() const;

 private:
  void allow_simulated(std::uint32_t config, std::vector<std::uint64_t>& words) const;
  void allow_in_string(std::uint32_t config, std::vector<std::uint64_t>& words) const;
  bool simulate(std::span<const std::uint32_t> configs, std::string_view bytes) const;

  std::shared_ptr<const JsonGrammar> grammar_;
  const ConstraintVocabulary& vocab_;
  mutable JsonAutomaton automaton_;
  std::vector<std::uint32_t> configs_;  // current parser configurations (usually one)
  bool ended_ = false;
  std::uint32_t compact_at_ = 1 << 16;

  // Scratch for the trie walk (per depth) and simulations.
  mutable std::vector<std::vector<std::uint32_t>> depth_configs_;
  mutable std::vector<std::uint32_t> depth_marks_;
  mutable std::vector<std::uint32_t> scratch_a_, scratch_b_;
  mutable std::vector<std::uint64_t> words_;
};

}  // namespace hearth::constrain
