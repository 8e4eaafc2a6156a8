#include "constrain/json_grammar.h"

#include <cmath>

namespace hearth::constrain {

namespace {

std::size_t count_code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

GrammarNode literal_node(const std::vector<nlohmann::json>& values) {
  GrammarNode node;
  node.kind = GrammarNode::Kind::kLiteral;
  for (const auto& v : values) {
    node.literals.insert(v.dump(), static_cast<std::int32_t>(node.literal_values.size()));
    node.literal_values.push_back(v);
  }
  return node;
}

}  // namespace

void fill_next_required(GrammarNode& node) {
  const auto n = static_cast<std::int32_t>(node.properties.size());
  node.next_required.assign(static_cast<std::size_t>(n) + 1, n - 1);
  std::int32_t next = n - 1;
  for (std::int32_t i = n - 1; i >= 0; --i) {
    if (node.properties[static_cast<std::size_t>(i)].required) next = i;
    node.next_required[static_cast<std::size_t>(i)] = next;
  }
}

JsonGrammar::JsonGrammar() {
  nodes_.resize(6);
  nodes_[kAnyNode].kind = GrammarNode::Kind::kAny;
  GrammarNode& object = nodes_[kFreeObjectNode];
  object.kind = GrammarNode::Kind::kObject;
  object.additional = kAnyNode;
  GrammarNode& array = nodes_[kFreeArrayNode];
  array.kind = GrammarNode::Kind::kArray;
  array.items = kAnyNode;
  fill_next_required(object);
  nodes_[kFreeStringNode].kind = GrammarNode::Kind::kString;
  nodes_[kFreeNumberNode].kind = GrammarNode::Kind::kNumber;
  nodes_[kTrueFalseNullNode] = literal_node({true, false, nullptr});
  root_ = kAnyNode;
}

std::shared_ptr<const JsonGrammar> JsonGrammar::json_object() {
  std::shared_ptr<JsonGrammar> grammar(new JsonGrammar());
  grammar->root_ = kFreeObjectNode;
  return grammar;
}

bool JsonGrammar::accepts(std::int32_t index, const nlohmann::json& value) const {
  const GrammarNode& node = this->node(index);
  using Kind = GrammarNode::Kind;
  switch (node.kind) {
    case Kind::kAny:
      return true;
    case Kind::kNever:
      return false;
    case Kind::kString: {
      if (!value.is_string()) return false;
      const std::size_t n = count_code_points(value.get_ref<const std::string&>());
      return n >= node.min_length && n <= node.max_length;
    }
    case Kind::kNumber:
      return value.is_number();
    case Kind::kInteger:
      if (value.is_number_integer()) return true;
      if (!value.is_number_float()) return false;
      {
        const double d = value.get<double>();
        return std::isfinite(d) && d == std::floor(d);
      }
    case Kind::kLiteral:
      for (const auto& v : node.literal_values)
        if (v == value) return true;
      return false;
    case Kind::kAnyOf:
      for (std::int32_t alt : node.alternatives)
        if (accepts(alt, value)) return true;
      return false;
    case Kind::kArray: {
      if (!value.is_array() || value.size() < node.min_items || value.size() > node.max_items) return false;
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::int32_t item = node.item_node(static_cast<std::uint32_t>(i));
        if (item == kNoNode || !accepts(item, value[i])) return false;
      }
      return true;
    }
    case Kind::kObject: {
      if (!value.is_object()) return false;
      for (const auto& p : node.properties)
        if (p.required && !value.contains(p.name)) return false;
      for (const auto& [key, member] : value.items()) {
        std::int32_t schema = node.additional;
        for (const auto& p : node.properties)
          if (p.name == key) schema = p.node;
        if (schema == kNoNode || !accepts(schema, member)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace hearth::constrain
