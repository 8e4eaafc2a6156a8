#pragma once
// The byte-level pushdown automaton that recognises the documents of a JsonGrammar.
//
// A parser configuration is a stack of Frames kept as a persistent linked list in an arena: every step
// appends the frames it changes and returns the id of the new top, so a configuration is one integer that
// is cheap to copy and branch from (the token-trie walk in TokenConstraint branches at every trie node).
// Ambiguity (anyOf alternatives sharing a first byte, a declared vs an extra property key) is handled by
// keeping a set of configurations; step() appends every successor.
//
// Not thread-safe: one automaton per request.
#include <cstdint>
#include <vector>

#include "constrain/json_grammar.h"

namespace hearth::constrain {

enum class Phase : std::uint8_t {
  kRootValue,      // expecting the document's value
  kRootDone,       // the document is complete: only the end of generation may follow
  kObjOpen,        // after '{': a key or '}'
  kObjNext,        // after ',': a key
  kObjColon,       // after a key: ':'            (count = property index, properties.size() for an extra one)
  kObjValue,       // after ':': the value        (count as kObjColon)
  kObjAfter,       // after a value: ',' or '}'   (count = index of the next declared property)
  kKeyDeclared,    // inside a declared key       (count = key-trie node, aux = lowest allowed property index)
  kKeyAdditional,  // inside an extra key         (aux = StringState, count = key-trie node or kNoTrie/kOffTrie)
  kArrOpen,        // after '[': a value or ']'   (count = items so far)
  kArrNext,        // after ',': a value
  kArrAfter,       // after a value: ',' or ']'
  kString,         // inside a string value       (aux = StringState, count = code points so far)
  kNumber,         // inside a number             (aux = NumberState, count = digits of the current part)
  kLiteral,        // inside an enum/const/true/false/null text (count = literal-trie node)
};

struct Frame {
  std::int32_t node = 0;  // GrammarNode index
  std::uint32_t parent = 0;
  std::uint32_t count = 0;
  Phase phase = Phase::kRootValue;
  std::uint8_t ws = 0;  // whitespace bytes in a row
  std::uint16_t aux = 0;
};

class JsonAutomaton {
 public:
  static constexpr std::uint32_t kNoParent = 0xFFFFFFFF;
  static constexpr std::uint32_t kNoTrie = 0xFFFFFFFF;   // extra key of an object without declared names
  static constexpr std::uint32_t kOffTrie = 0xFFFFFFFE;  // extra key that already differs from every name

  explicit JsonAutomaton(const JsonGrammar& grammar);

  // The configuration before any output.
  std::uint32_t initial();
  // Appends to `out` every configuration reached from `config` by the byte `b` (none: `b` is not allowed).
  void step(std::uint32_t config, std::uint8_t b, std::vector<std::uint32_t>& out);
  // Whether the output so far is a complete document (generation may end here).
  bool can_end(std::uint32_t config) const;
  // Whether nothing but the end of generation can follow.
  bool must_end(std::uint32_t config) const { return frame(config).phase == Phase::kRootDone; }
  // Whether two configurations are the same parser state (their stacks hold equal frames).
  bool same(std::uint32_t a, std::uint32_t b) const;

  const Frame& frame(std::uint32_t config) const { return arena_[config]; }
  const JsonGrammar& grammar() const { return grammar_; }

  // Arena management: frames past a mark are scratch (the trie walk truncates back to its marks).
  std::uint32_t mark() const { return static_cast<std::uint32_t>(arena_.size()); }
  void truncate(std::uint32_t mark) { arena_.resize(mark); }
  // Copies the stacks of `configs` (updated in place) into a fresh arena, dropping unreachable frames.
  void compact(std::vector<std::uint32_t>& configs);

 private:
  std::uint32_t push(const Frame& f) {
    arena_.push_back(f);
    return static_cast<std::uint32_t>(arena_.size() - 1);
  }
  // The parent's configuration after its child value (or key, with `result` = property index) completed.
  std::uint32_t finish_child(std::uint32_t parent, std::uint32_t result);
  // Starts a value of grammar node `node` whose first byte is `b`, below `parent`.
  void start_value(std::uint32_t parent, std::int32_t node, std::uint8_t b, std::vector<std::uint32_t>& out);
  // Starts the key of an object frame at `parent` (its phase is kObjOpen or kObjNext) after its '"'.
  void start_key(std::uint32_t parent, std::vector<std::uint32_t>& out);
  // Whitespace in a phase that allows it: the same frame with one more whitespace byte, if under the cap.
  void whitespace(std::uint32_t config, std::vector<std::uint32_t>& out);
  // `config` with its whitespace count reset (a value or key starts below it).
  std::uint32_t without_ws(std::uint32_t config);
  std::uint32_t depth(std::uint32_t config) const;
  bool any_key_possible(const GrammarNode& object, std::uint32_t next) const;

  const JsonGrammar& grammar_;
  std::vector<Frame> arena_;
};

}  // namespace hearth::constrain
