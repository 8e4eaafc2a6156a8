#pragma once
// JsonGrammar: what a constrained output may be, compiled from response_format (json_object) or a JSON
// Schema into a graph of nodes the byte-level automaton (json_automaton.h) walks.
//
// Supported JSON Schema (draft 4 .. 2020-12 spellings):
//   type (a name or a list; "integer" emits integers only), properties, required, additionalProperties
//   (false / true / schema), items (schema, false, or draft-4 tuple list), prefixItems, additionalItems,
//   minItems, maxItems, minLength, maxLength, enum, const, anyOf, oneOf, allOf with one subschema, $ref to
//   a pointer inside the document ("#", "#/$defs/X", "#/definitions/X", ...), nullable (OpenAPI), true/false
//   schemas. Annotations (title, description, default, examples, $schema, $id, $comment, ...) and unknown
//   keywords are ignored, as the specification says; `format` is ignored too (strings of any format are
//   emitted as plain strings). Known validation keywords Hearth cannot enforce (pattern, minimum, maximum,
//   multipleOf, not, if/then/else, patternProperties, uniqueItems: true, ...) are rejected with an error
//   naming the keyword and where it is, so the request fails with a 400 instead of producing output that
//   does not validate.
//
// What is generated is a subset of what the schema accepts (always valid, never everything):
//   * properties come in schema order; required ones always, optional ones may be skipped. When
//     `properties` is given and additionalProperties is absent, no other properties are emitted; extra
//     properties (additionalProperties true or a schema, or an object without `properties`) come after the
//     declared ones, never repeat a declared name and never contain backslash escapes in their key when
//     the object declares properties (so an escaped key cannot decode to a declared name).
//   * keys of free-form objects (json_object, additionalProperties) are not checked for uniqueness among
//     themselves: {"a":1,"a":2} is possible there (RFC 8259 allows it; parsers keep the last value).
//   * enum/const values are emitted in their compact serialization; only the values that satisfy the
//     schema's other keywords are offered.
//   * oneOf is generated as anyOf: exclusivity is not enforced (a document matching two alternatives is
//     possible when alternatives overlap; disjoint alternatives, the usual case, are exact).
//   * numbers: at most 18 integer digits, 18 fraction digits and a two-digit exponent.
//   * whitespace between tokens: at most kMaxWhitespace bytes in a row; nesting at most kMaxDepth.
// Subschemas that no finite document satisfies are pruned (an optional property or anyOf branch that could
// never be completed is never started); a schema with no valid document at all is an error.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "constrain/byte_trie.h"

namespace hearth::constrain {

inline constexpr std::uint32_t kMaxWhitespace = 24;  // whitespace bytes in a row
inline constexpr std::uint32_t kMaxDepth = 64;       // nested objects/arrays
inline constexpr std::uint32_t kUnbounded = 0xFFFFFFFF;
inline constexpr std::int32_t kNoNode = -1;

struct Property {
  std::string name;
  std::int32_t node = kNoNode;
  bool required = false;
};

struct GrammarNode {
  enum class Kind : std::uint8_t {
    kAny,  // any JSON value (first byte picks the type)
    kObject,
    kArray,
    kString,
    kNumber,
    kInteger,
    kLiteral,  // one of a fixed set of JSON texts: enum, const, true/false/null
    kAnyOf,    // one of `alternatives`
    kNever,    // no value (false schema); pruned after compilation
  };
  Kind kind = Kind::kAny;

  // kObject: declared properties in emission order; `keys` maps each name's JSON text after the opening
  // quote (closing quote included) to its index. last_required: index of the last required one or -1.
  std::vector<Property> properties;
  ByteTrie keys;
  std::int32_t last_required = -1;
  // next_required[i]: the first required index >= i, else properties.size() - 1 (size properties.size() + 1).
  // A key at position i may name any property in [i, next_required[i]].
  std::vector<std::int32_t> next_required;
  std::int32_t additional = kNoNode;  // schema of extra properties, or kNoNode for none

  // kArray: item i uses prefix_items[i], then `items` (kNoNode: no further items).
  std::vector<std::int32_t> prefix_items;
  std::int32_t items = kNoNode;
  std::uint32_t min_items = 0;
  std::uint32_t max_items = kUnbounded;

  // kString (code points)
  std::uint32_t min_length = 0;
  std::uint32_t max_length = kUnbounded;

  // kLiteral: compact JSON texts, their trie and values
  std::vector<nlohmann::json> literal_values;
  ByteTrie literals;

  // kAnyOf
  std::vector<std::int32_t> alternatives;

  // The schema of array item `index`, or kNoNode.
  std::int32_t item_node(std::uint32_t index) const {
    if (index < prefix_items.size()) return prefix_items[index];
    return items;
  }
};

// Fills node.next_required from node.properties.
void fill_next_required(GrammarNode& node);

class JsonGrammar {
 public:
  // Any JSON object (OpenAI's response_format {"type": "json_object"}, Ollama's format: "json").
  static std::shared_ptr<const JsonGrammar> json_object();
  // A JSON Schema given as JSON text (text, not a parsed nlohmann::json, whose std::map would lose the
  // order of `properties`, which is the order properties are generated in). Throws hearth::Error naming the problem
  // (invalid JSON, an unsupported keyword and where it is, a $ref that does not resolve, a schema no document
  // satisfies).
  static std::shared_ptr<const JsonGrammar> from_schema(std::string_view schema_text);

  const GrammarNode& node(std::int32_t index) const { return nodes_[static_cast<std::size_t>(index)]; }
  std::int32_t root() const { return root_; }
  std::size_t node_count() const { return nodes_.size(); }

  // Built-in nodes every grammar has (kAny dispatches to them by the first byte).
  static constexpr std::int32_t kAnyNode = 0;
  static constexpr std::int32_t kFreeObjectNode = 1;
  static constexpr std::int32_t kFreeArrayNode = 2;
  static constexpr std::int32_t kFreeStringNode = 3;
  static constexpr std::int32_t kFreeNumberNode = 4;
  static constexpr std::int32_t kTrueFalseNullNode = 5;

  // Whether `value` is a document this grammar accepts (used to filter enum values; also handy in tests).
  // Ignores the generation-only limits (whitespace, depth, digit caps, property order).
  bool accepts(const nlohmann::json& value) const { return accepts(root_, value); }
  bool accepts(std::int32_t node, const nlohmann::json& value) const;

 private:
  friend class SchemaCompiler;
  JsonGrammar();
  std::vector<GrammarNode> nodes_;
  std::int32_t root_ = kAnyNode;
};

}  // namespace hearth::constrain
