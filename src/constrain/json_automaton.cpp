#include "constrain/json_automaton.h"

#include <cassert>

#include "constrain/json_lexer.h"

namespace hearth::constrain {

using Kind = GrammarNode::Kind;

JsonAutomaton::JsonAutomaton(const JsonGrammar& grammar) : grammar_(grammar) { arena_.reserve(1024); }

std::uint32_t JsonAutomaton::initial() {
  Frame root;
  root.node = grammar_.root();
  root.parent = kNoParent;
  root.phase = Phase::kRootValue;
  return push(root);
}

void JsonAutomaton::whitespace(std::uint32_t config, std::vector<std::uint32_t>& out) {
  Frame f = arena_[config];
  if (f.ws >= kMaxWhitespace) return;
  ++f.ws;
  out.push_back(push(f));
}

std::uint32_t JsonAutomaton::without_ws(std::uint32_t config) {
  if (arena_[config].ws == 0) return config;
  Frame f = arena_[config];
  f.ws = 0;
  return push(f);
}

std::uint32_t JsonAutomaton::depth(std::uint32_t config) const {
  std::uint32_t d = 0;
  for (std::uint32_t c = config; c != kNoParent; c = arena_[c].parent) ++d;
  return d;
}

bool JsonAutomaton::any_key_possible(const GrammarNode& object, std::uint32_t next) const {
  return next < object.properties.size() || object.additional != kNoNode;
}

std::uint32_t JsonAutomaton::finish_child(std::uint32_t parent, std::uint32_t result) {
  Frame f = arena_[parent];
  f.ws = 0;
  switch (f.phase) {
    case Phase::kRootValue:
      f.phase = Phase::kRootDone;
      break;
    case Phase::kObjOpen:
    case Phase::kObjNext:  // a key ended
      f.phase = Phase::kObjColon;
      f.count = result;
      break;
    case Phase::kObjValue: {
      const auto n = static_cast<std::uint32_t>(grammar_.node(f.node).properties.size());
      f.phase = Phase::kObjAfter;
      f.count = f.count < n ? f.count + 1 : n;
      break;
    }
    case Phase::kArrOpen:
    case Phase::kArrNext:
      f.phase = Phase::kArrAfter;
      ++f.count;
      break;
    default:
      assert(false && "finish_child: parent cannot have a child");
  }
  return push(f);
}

void JsonAutomaton::start_key(std::uint32_t parent, std::vector<std::uint32_t>& out) {
  const Frame& p = arena_[parent];
  const GrammarNode& object = grammar_.node(p.node);
  const std::uint32_t next = p.count;
  const std::int32_t node = p.node;
  if (next < object.properties.size()) {
    Frame key;
    key.node = node;
    key.parent = parent;
    key.phase = Phase::kKeyDeclared;
    key.count = ByteTrie::kRoot;
    key.aux = static_cast<std::uint16_t>(next);
    out.push_back(push(key));
  }
  // Extra properties come after the declared ones, so only once no required one is left.
  if (object.additional != kNoNode && static_cast<std::int32_t>(next) > object.last_required) {
    Frame key;
    key.node = node;
    key.parent = parent;
    key.phase = Phase::kKeyAdditional;
    key.count = object.properties.empty() ? kNoTrie : ByteTrie::kRoot;
    key.aux = kStrBody;
    out.push_back(push(key));
  }
}

void JsonAutomaton::start_value(std::uint32_t parent, std::int32_t index, std::uint8_t b,
                                std::vector<std::uint32_t>& out) {
  const GrammarNode& node = grammar_.node(index);
  Frame f;
  f.node = index;
  f.parent = parent;
  switch (node.kind) {
    case Kind::kAnyOf:
      for (std::int32_t alt : node.alternatives) start_value(parent, alt, b, out);
      return;
    case Kind::kAny:
      switch (b) {
        case '{':
          return start_value(parent, JsonGrammar::kFreeObjectNode, b, out);
        case '[':
          return start_value(parent, JsonGrammar::kFreeArrayNode, b, out);
        case '"':
          return start_value(parent, JsonGrammar::kFreeStringNode, b, out);
        case 't':
        case 'f':
        case 'n':
          return start_value(parent, JsonGrammar::kTrueFalseNullNode, b, out);
        default:
          return start_value(parent, JsonGrammar::kFreeNumberNode, b, out);
      }
    case Kind::kNever:
      return;
    case Kind::kObject:
      if (b != '{' || depth(parent) > kMaxDepth) return;
      f.phase = Phase::kObjOpen;
      out.push_back(push(f));
      return;
    case Kind::kArray:
      if (b != '[' || depth(parent) > kMaxDepth) return;
      f.phase = Phase::kArrOpen;
      out.push_back(push(f));
      return;
    case Kind::kString:
      if (b != '"') return;
      f.phase = Phase::kString;
      f.aux = kStrBody;
      out.push_back(push(f));
      return;
    case Kind::kNumber:
    case Kind::kInteger: {
      std::uint32_t digits = 0;
      const std::uint8_t state = number_start(b, digits);
      if (state == kNumReject) return;
      f.phase = Phase::kNumber;
      f.aux = state;
      f.count = digits;
      out.push_back(push(f));
      return;
    }
    case Kind::kLiteral: {
      const std::uint32_t next = node.literals.child(ByteTrie::kRoot, b);
      if (next == ByteTrie::kNone) return;
      f.phase = Phase::kLiteral;
      f.count = next;
      out.push_back(push(f));
      return;
    }
  }
}

void JsonAutomaton::step(std::uint32_t config, std::uint8_t b, std::vector<std::uint32_t>& out) {
  const Frame f = arena_[config];
  const GrammarNode& node = grammar_.node(f.node);
  switch (f.phase) {
    case Phase::kRootValue:
      if (is_json_whitespace(b)) return whitespace(config, out);
      return start_value(without_ws(config), f.node, b, out);

    case Phase::kRootDone:
      return;

    case Phase::kObjOpen:
    case Phase::kObjNext:
      if (is_json_whitespace(b)) return whitespace(config, out);
      if (b == '"') return start_key(without_ws(config), out);
      if (b == '}' && f.phase == Phase::kObjOpen && static_cast<std::int32_t>(f.count) > node.last_required)
        out.push_back(finish_child(f.parent, 0));
      return;

    case Phase::kObjColon:
      if (is_json_whitespace(b)) return whitespace(config, out);
      if (b == ':') {
        Frame g = f;
        g.phase = Phase::kObjValue;
        g.ws = 0;
        out.push_back(push(g));
      }
      return;

    case Phase::kObjValue: {
      if (is_json_whitespace(b)) return whitespace(config, out);
      const std::int32_t value = f.count < node.properties.size() ? node.properties[f.count].node : node.additional;
      return start_value(without_ws(config), value, b, out);
    }

    case Phase::kObjAfter:
      if (is_json_whitespace(b)) return whitespace(config, out);
      if (b == ',' && any_key_possible(node, f.count)) {
        Frame g = f;
        g.phase = Phase::kObjNext;
        g.ws = 0;
        out.push_back(push(g));
      } else if (b == '}' && static_cast<std::int32_t>(f.count) > node.last_required) {
        out.push_back(finish_child(f.parent, 0));
      }
      return;

    case Phase::kKeyDeclared: {
      const std::uint32_t next = node.keys.child(f.count, b);
      if (next == ByteTrie::kNone) return;
      const std::int32_t lo = f.aux;
      const std::int32_t hi = node.next_required[f.aux];
      if (!node.keys.leads_to(next, lo, hi)) return;
      if (const std::int32_t property = node.keys.value(next); property >= 0) {  // after the closing quote
        out.push_back(finish_child(f.parent, static_cast<std::uint32_t>(property)));
        return;
      }
      Frame g = f;
      g.count = next;
      out.push_back(push(g));
      return;
    }

    case Phase::kKeyAdditional: {
      const StringStep s = string_step(static_cast<std::uint8_t>(f.aux), b);
      if (s.next == kStrReject) return;
      const bool tracking = f.count != kNoTrie;
      if (s.next == kStrClose) {
        if (tracking && f.count != kOffTrie) {
          const std::uint32_t end = node.keys.child(f.count, '"');
          if (end != ByteTrie::kNone && node.keys.value(end) >= 0) return;  // a declared name
        }
        out.push_back(finish_child(f.parent, static_cast<std::uint32_t>(node.properties.size())));
        return;
      }
      // With declared names around, no escapes: an escaped key could decode to one of them.
      if (tracking && b == '\\') return;
      Frame g = f;
      g.aux = s.next;
      if (tracking && f.count != kOffTrie) {
        const std::uint32_t next = node.keys.child(f.count, b);
        g.count = next == ByteTrie::kNone ? kOffTrie : next;
      }
      out.push_back(push(g));
      return;
    }

    case Phase::kArrOpen:
    case Phase::kArrNext: {
      if (is_json_whitespace(b)) return whitespace(config, out);
      if (b == ']' && f.phase == Phase::kArrOpen) {
        if (f.count >= node.min_items) out.push_back(finish_child(f.parent, 0));
        return;
      }
      if (f.count >= node.max_items) return;
      const std::int32_t item = node.item_node(f.count);
      if (item == kNoNode) return;
      return start_value(without_ws(config), item, b, out);
    }

    case Phase::kArrAfter:
      if (is_json_whitespace(b)) return whitespace(config, out);
      if (b == ',' && f.count < node.max_items && node.item_node(f.count) != kNoNode) {
        Frame g = f;
        g.phase = Phase::kArrNext;
        g.ws = 0;
        out.push_back(push(g));
      } else if (b == ']' && f.count >= node.min_items) {
        out.push_back(finish_child(f.parent, 0));
      }
      return;

    case Phase::kString: {
      const StringStep s = string_step(static_cast<std::uint8_t>(f.aux), b);
      if (s.next == kStrReject) return;
      if (s.next == kStrClose) {
        if (f.count >= node.min_length) out.push_back(finish_child(f.parent, 0));
        return;
      }
      if (s.starts_char && f.count >= node.max_length) return;
      Frame g = f;
      g.aux = s.next;
      g.count += s.starts_char;
      out.push_back(push(g));
      return;
    }

    case Phase::kNumber: {
      std::uint32_t digits = f.count;
      const std::uint8_t next = number_step(static_cast<std::uint8_t>(f.aux), b, node.kind == Kind::kInteger, digits);
      if (next != kNumReject) {
        Frame g = f;
        g.aux = next;
        g.count = digits;
        out.push_back(push(g));
        return;
      }
      // The number ends before `b`, which belongs to what follows.
      if (!number_accepting(static_cast<std::uint8_t>(f.aux))) return;
      return step(finish_child(f.parent, 0), b, out);
    }

    case Phase::kLiteral: {
      const std::uint32_t next = node.literals.child(f.count, b);
      if (next != ByteTrie::kNone) {
        Frame g = f;
        g.count = next;
        out.push_back(push(g));
        return;
      }
      if (node.literals.value(f.count) < 0) return;
      return step(finish_child(f.parent, 0), b, out);
    }
  }
}

bool JsonAutomaton::can_end(std::uint32_t config) const {
  const Frame& f = arena_[config];
  if (f.phase == Phase::kRootDone) return true;
  if (f.parent == kNoParent || arena_[f.parent].phase != Phase::kRootValue) return false;
  // A number or literal at the top level ends with the document.
  if (f.phase == Phase::kNumber) return number_accepting(static_cast<std::uint8_t>(f.aux));
  if (f.phase == Phase::kLiteral) return grammar_.node(f.node).literals.value(f.count) >= 0;
  return false;
}

bool JsonAutomaton::same(std::uint32_t a, std::uint32_t b) const {
  while (a != kNoParent && b != kNoParent) {
    if (a == b) return true;
    const Frame& x = arena_[a];
    const Frame& y = arena_[b];
    if (x.node != y.node || x.phase != y.phase || x.count != y.count || x.ws != y.ws || x.aux != y.aux) return false;
    a = x.parent;
    b = y.parent;
  }
  return a == b;
}

void JsonAutomaton::compact(std::vector<std::uint32_t>& configs) {
  std::vector<Frame> fresh;
  std::vector<std::uint32_t> moved(arena_.size(), kNoParent);
  std::vector<std::uint32_t> chain;
  for (auto& config : configs) {
    chain.clear();
    for (std::uint32_t c = config; c != kNoParent && moved[c] == kNoParent; c = arena_[c].parent) chain.push_back(c);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      Frame f = arena_[*it];
      if (f.parent != kNoParent) f.parent = moved[f.parent];
      moved[*it] = static_cast<std::uint32_t>(fresh.size());
      fresh.push_back(f);
    }
    config = moved[config];
  }
  arena_ = std::move(fresh);
}

}  // namespace hearth::constrain
