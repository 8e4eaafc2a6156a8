#include "constrain/token_constraint.h"

#include <limits>

#include "util/error.h"

namespace hearth::constrain {

namespace {

void set_bit(std::vector<std::uint64_t>& words, std::int32_t id) {
  words[static_cast<std::size_t>(id) >> 6] |= std::uint64_t{1} << (id & 63);
}

}  // namespace

std::shared_ptr<const JsonGrammar> compile_constraint(const server::OutputConstraint& constraint) {
  switch (constraint.kind) {
    case server::OutputConstraint::Kind::kNone:
      return nullptr;
    case server::OutputConstraint::Kind::kJsonObject:
      return JsonGrammar::json_object();
    case server::OutputConstraint::Kind::kJsonSchema:
      return JsonGrammar::from_schema(constraint.json_schema);
  }
  return nullptr;
}

std::unique_ptr<TokenConstraint> TokenConstraint::create(const server::OutputConstraint& constraint,
                                                         const ConstraintVocabulary& vocabulary) {
  auto grammar = compile_constraint(constraint);
  if (!grammar) return nullptr;
  return std::make_unique<TokenConstraint>(std::move(grammar), vocabulary);
}

TokenConstraint::TokenConstraint(std::shared_ptr<const JsonGrammar> grammar, const ConstraintVocabulary& vocabulary)
    : grammar_(std::move(grammar)), vocab_(vocabulary), automaton_(*grammar_) {
  configs_.push_back(automaton_.initial());
  depth_configs_.resize(vocab_.max_token_length() + 1);
  depth_marks_.resize(vocab_.max_token_length() + 1);
}

bool TokenConstraint::complete() const {
  if (ended_) return true;
  for (std::uint32_t c : configs_)
    if (automaton_.can_end(c)) return true;
  return false;
}

bool TokenConstraint::finished() const {
  if (ended_) return true;
  for (std::uint32_t c : configs_)
    if (!automaton_.must_end(c)) return false;
  return true;
}

bool TokenConstraint::simulate(std::span<const std::uint32_t> configs, std::string_view bytes) const {
  const std::uint32_t mark = automaton_.mark();
  scratch_a_.assign(configs.begin(), configs.end());
  for (unsigned char b : bytes) {
    scratch_b_.clear();
    for (std::uint32_t c : scratch_a_) automaton_.step(c, b, scratch_b_);
    std::swap(scratch_a_, scratch_b_);
    if (scratch_a_.empty()) break;
  }
  const bool ok = !scratch_a_.empty();
  automaton_.truncate(mark);
  return ok;
}

bool TokenConstraint::allows(std::int32_t token) const {
  if (ended_) return false;
  if (vocab_.is_eog(token)) return complete();
  const std::int64_t plain = vocab_.plain_index(token);
  if (plain < 0) return false;
  return simulate(configs_, vocab_.plain_bytes(static_cast<std::size_t>(plain)));
}

bool TokenConstraint::accept(std::int32_t token) {
  if (ended_) return false;
  if (vocab_.is_eog(token)) {
    if (!complete()) return false;
    ended_ = true;
    return true;
  }
  const std::int64_t plain = vocab_.plain_index(token);
  if (plain < 0) return false;
  const std::uint32_t mark = automaton_.mark();
  std::vector<std::uint32_t> current = configs_, next;
  for (unsigned char b : vocab_.plain_bytes(static_cast<std::size_t>(plain))) {
    next.clear();
    for (std::uint32_t c : current) automaton_.step(c, b, next);
    // Drop duplicates so that ambiguity cannot multiply the configurations.
    std::vector<std::uint32_t> unique;
    for (std::uint32_t c : next) {
      bool seen = false;
      for (std::uint32_t u : unique) seen = seen || automaton_.same(u, c);
      if (!seen) unique.push_back(c);
    }
    current = std::move(unique);
    if (current.empty()) {
      automaton_.truncate(mark);
      return false;
    }
  }
  configs_ = std::move(current);
  if (automaton_.mark() > compact_at_) {
    automaton_.compact(configs_);
    compact_at_ = std::max<std::uint32_t>(1 << 16, automaton_.mark() * 4);
  }
  return true;
}

void TokenConstraint::allowed(std::vector<std::uint64_t>& words) const {
  words.assign((static_cast<std::size_t>(vocab_.id_limit()) + 63) / 64, 0);
  if (ended_) return;
  for (std::uint32_t config : configs_) {
    const Phase phase = automaton_.frame(config).phase;
    if (phase == Phase::kString || phase == Phase::kKeyAdditional)
      allow_in_string(config, words);
    else
      allow_simulated(config, words);
  }
  if (complete())
    for (std::int32_t id : vocab_.eog_ids()) set_bit(words, id);
}

// Walks the token trie once, stepping the automaton along each node's byte and skipping every subtree whose
// prefix is already rejected: the cost is the number of live prefixes, not the vocabulary size.
void TokenConstraint::allow_simulated(std::uint32_t config, std::vector<std::uint64_t>& words) const {
  const auto trie = vocab_.trie();
  const std::uint32_t base = automaton_.mark();
  depth_configs_[0].assign(1, config);
  depth_marks_[0] = base;
  for (std::size_t i = 0; i < trie.size();) {
    const auto& node = trie[i];
    const std::size_t d = node.depth;
    automaton_.truncate(depth_marks_[d - 1]);
    auto& live = depth_configs_[d];
    live.clear();
    for (std::uint32_t c : depth_configs_[d - 1]) automaton_.step(c, node.byte, live);
    if (live.empty()) {
      i = node.skip;
      continue;
    }
    for (std::uint32_t k = 0; k < node.token_count; ++k) set_bit(words, vocab_.plain_id(node.first_token + k));
    depth_marks_[d] = automaton_.mark();
    ++i;
  }
  automaton_.truncate(base);
}

// Inside a string nearly every token is allowed, so a trie walk would visit most of the trie. The
// vocabulary's table for the current lexer state says for each token whether it stays inside the string
// (allowed if the length limit permits), dies, or closes the string (then the rest of the token must fit
// what follows: simulated exactly, for the few tokens containing a quote).
void TokenConstraint::allow_in_string(std::uint32_t config, std::vector<std::uint64_t>& words) const {
  const Frame& top = automaton_.frame(config);
  const GrammarNode& node = grammar_->node(top.node);
  const bool is_value = top.phase == Phase::kString;
  const std::uint64_t count = is_value ? top.count : 0;
  const std::uint64_t max_length = is_value ? node.max_length : kUnbounded;
  const bool no_escapes = !is_value && top.count != JsonAutomaton::kNoTrie;
  const auto table = vocab_.string_table(static_cast<std::uint8_t>(top.aux));
  const std::uint32_t one[1] = {config};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const std::uint32_t entry = table[i];
    switch (ConstraintVocabulary::outcome(entry)) {
      case ConstraintVocabulary::kStrDead:
        break;
      case ConstraintVocabulary::kStrInside:
        if (count + ConstraintVocabulary::chars(entry) > max_length) break;
        if (no_escapes && vocab_.plain_has_backslash(i)) break;
        set_bit(words, vocab_.plain_id(i));
        break;
      case ConstraintVocabulary::kStrExits:
        if (simulate(one, vocab_.plain_bytes(i))) set_bit(words, vocab_.plain_id(i));
        break;
    }
  }
}

void TokenConstraint::mask(std::span<float> logits) const {
  allowed(words_);
  const float minus_inf = -std::numeric_limits<float>::infinity();
  const std::size_t limit = std::min<std::size_t>(logits.size(), static_cast<std::size_t>(vocab_.id_limit()));
  for (std::size_t w = 0; w * 64 < limit; ++w) {
    const std::uint64_t bits = words_[w];
    if (bits == ~std::uint64_t{0}) continue;
    const std::size_t end = std::min(limit, w * 64 + 64);
    for (std::size_t i = w * 64; i < end; ++i)
      if (!((bits >> (i & 63)) & 1)) logits[i] = minus_inf;
  }
  for (std::size_t i = limit; i < logits.size(); ++i) logits[i] = minus_inf;
}

}  // namespace hearth::constrain
