// JSON Schema -> JsonGrammar (see json_grammar.h for what is supported and how it is generated).
#include <algorithm>
#include <map>
#include <set>

#include "constrain/json_grammar.h"
#include "util/error.h"

namespace hearth::constrain {

using Json = nlohmann::ordered_json;  // keeps `properties` in the order the schema lists them

namespace {

// Validation keywords Hearth cannot enforce during generation: rejected rather than ignored, so output never
// silently fails to validate.
const std::set<std::string, std::less<>> kUnsupportedKeywords = {
    "pattern",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedProperties",
    "unevaluatedItems",
    "multipleOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "$dynamicRef",
    "$recursiveRef",
};

// Keywords that constrain a value; used to reject combinations ($ref/anyOf/allOf with siblings) whose
// intersection Hearth does not compute.
const std::set<std::string, std::less<>> kValidationKeywords = {
    "type",     "properties",  "required",        "additionalProperties",
    "items",    "prefixItems", "additionalItems", "minItems",
    "maxItems", "minLength",   "maxLength",       "enum",
    "const",    "anyOf",       "oneOf",           "allOf",
    "$ref",
};

const std::set<std::string, std::less<>> kObjectKeywords = {"properties", "required", "additionalProperties"};
const std::set<std::string, std::less<>> kArrayKeywords = {"items", "prefixItems", "additionalItems", "minItems",
                                                           "maxItems"};
const std::set<std::string, std::less<>> kStringKeywords = {"minLength", "maxLength"};

std::string pointer_escape(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

}  // namespace

class SchemaCompiler {
 public:
  SchemaCompiler(const Json& document, JsonGrammar& grammar) : document_(document), g_(grammar) {}

  std::int32_t compile(const Json& schema, const std::string& at) {
    if (auto it = compiled_.find(&schema); it != compiled_.end()) return it->second;
    require(depth_ < 200, "JSON schema: nested too deeply (at {})", at);
    const std::int32_t index = reserve();
    compiled_[&schema] = index;
    ++depth_;
    GrammarNode node = build(schema, at);
    --depth_;
    g_.nodes_[static_cast<std::size_t>(index)] = std::move(node);
    return index;
  }

  // Removes what can never be completed and anyOf cycles; fails when the root has no valid document.
  void finalize() {
    break_anyof_cycles();
    compute_satisfiable();
    require(satisfiable_[static_cast<std::size_t>(g_.root_)], "JSON schema: no JSON document satisfies this schema");
    prune();
  }

 private:
  std::int32_t reserve() {
    g_.nodes_.emplace_back();
    return static_cast<std::int32_t>(g_.nodes_.size() - 1);
  }
  std::int32_t add(GrammarNode node) {
    g_.nodes_.push_back(std::move(node));
    return static_cast<std::int32_t>(g_.nodes_.size() - 1);
  }
  static GrammarNode any_of(std::vector<std::int32_t> alternatives) {
    GrammarNode node;
    node.kind = GrammarNode::Kind::kAnyOf;
    node.alternatives = std::move(alternatives);
    return node;
  }
  std::int32_t null_node() {
    if (null_node_ == kNoNode) {
      GrammarNode node;
      node.kind = GrammarNode::Kind::kLiteral;
      node.literal_values.push_back(nullptr);
      node.literals.insert("null", 0);
      null_node_ = add(std::move(node));
    }
    return null_node_;
  }

  static std::uint32_t count_keyword(const Json& schema, const char* key, const std::string& at) {
    const Json& v = schema[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
      fail("JSON schema: '{}' must be a non-negative integer (at {})", key, at);
    return static_cast<std::uint32_t>(std::min<std::int64_t>(v.get<std::int64_t>(), kUnbounded - 1));
  }

  const Json& resolve_ref(const Json& ref, const std::string& at) {
    require(ref.is_string(), "JSON schema: '$ref' must be a string (at {})", at);
    const std::string& text = ref.get_ref<const std::string&>();
    require(!text.empty() && text[0] == '#',
            "JSON schema: only local '$ref's (\"#/...\") are supported; got '{}' (at {})", text, at);
    const Json* node = &document_;
    std::size_t pos = 1;
    while (pos < text.size()) {
      require(text[pos] == '/', "JSON schema: '$ref' '{}' is not a JSON pointer (at {})", text, at);
      std::size_t end = text.find('/', pos + 1);
      if (end == std::string::npos) end = text.size();
      std::string token;
      for (std::size_t i = pos + 1; i < end; ++i) {
        if (text[i] == '~' && i + 1 < end && (text[i + 1] == '0' || text[i + 1] == '1')) {
          token += text[i + 1] == '0' ? '~' : '/';
          ++i;
        } else if (text[i] == '%' && i + 2 < end && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
          token += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          token += text[i];
        }
      }
      if (node->is_object() && node->contains(token)) {
        node = &(*node)[token];
      } else if (node->is_array() && !token.empty() &&
                 std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                 std::stoull(token) < node->size()) {
        node = &(*node)[std::stoull(token)];
      } else {
        fail("JSON schema: '$ref' '{}' does not resolve inside the schema (at {})", text, at);
      }
      pos = end;
    }
    return *node;
  }

  // The first validation keyword of `schema` other than `except`, or "".
  static std::string sibling_keyword(const Json& schema, std::initializer_list<const char*> except) {
    for (const auto& [key, value] : schema.items()) {
      if (!kValidationKeywords.contains(key)) continue;
      if (std::any_of(except.begin(), except.end(), [&](const char* e) { return key == e; })) continue;
      return key;
    }
    return "";
  }

  std::int32_t with_nullable(const Json& schema, std::int32_t node) {
    auto it = schema.find("nullable");
    if (it == schema.end() || !it->is_boolean() || !it->get<bool>()) return node;
    return add(any_of({node, null_node()}));
  }

  GrammarNode alias(std::int32_t target) { return any_of({target}); }

  GrammarNode build(const Json& schema, const std::string& at) {
    if (schema.is_boolean()) {
      GrammarNode node;
      node.kind = schema.get<bool>() ? GrammarNode::Kind::kAny : GrammarNode::Kind::kNever;
      return node;
    }
    require(schema.is_object(), "JSON schema: a schema must be an object or a boolean (at {})", at);
    for (const auto& [key, value] : schema.items()) {
      if (kUnsupportedKeywords.contains(key))
        fail("JSON schema keyword '{}' is not supported by constrained decoding (at {})", key, at);
      if (key == "uniqueItems" && !(value.is_boolean() && !value.get<bool>()))
        fail("JSON schema keyword 'uniqueItems' is not supported by constrained decoding (at {})", at);
    }
    const bool nullable =
        schema.contains("nullable") && schema["nullable"].is_boolean() && schema["nullable"].get<bool>();

    if (schema.contains("$ref")) {
      if (std::string s = sibling_keyword(schema, {"$ref"}); !s.empty())
        fail("JSON schema: '$ref' next to '{}' is not supported (at {})", s, at);
      const std::int32_t target = compile(resolve_ref(schema["$ref"], at), schema["$ref"].get<std::string>());
      return alias(with_nullable(schema, target));
    }
    if (schema.contains("allOf")) {
      const Json& all = schema["allOf"];
      require(all.is_array() && all.size() == 1,
              "JSON schema: 'allOf' is supported only with exactly one subschema (at {})", at);
      if (std::string s = sibling_keyword(schema, {"allOf"}); !s.empty())
        fail("JSON schema: 'allOf' next to '{}' is not supported (at {})", s, at);
      return alias(with_nullable(schema, compile(all[0], at + "/allOf/0")));
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!schema.contains(key)) continue;
      const Json& list = schema[key];
      require(list.is_array() && !list.empty(), "JSON schema: '{}' must be a non-empty array (at {})", key, at);
      if (std::string s = sibling_keyword(schema, {key}); !s.empty())
        fail("JSON schema: '{}' next to '{}' is not supported (at {})", key, s, at);
      std::vector<std::int32_t> alternatives;
      for (std::size_t i = 0; i < list.size(); ++i)
        alternatives.push_back(compile(list[i], fmt::format("{}/{}/{}", at, key, i)));
      if (nullable) alternatives.push_back(null_node());
      return any_of(std::move(alternatives));
    }

    GrammarNode typed = build_typed(schema, at, nullable);
    if (!schema.contains("enum") && !schema.contains("const")) return typed;

    // enum/const: the listed values that also satisfy the other keywords.
    std::vector<Json> candidates;
    if (schema.contains("const")) candidates.push_back(schema["const"]);
    if (schema.contains("enum")) {
      const Json& list = schema["enum"];
      require(list.is_array(), "JSON schema: 'enum' must be an array (at {})", at);
      std::vector<Json> kept;
      for (const auto& v : list)
        if (!schema.contains("const") || v == schema["const"]) kept.push_back(v);
      candidates = std::move(kept);
    }
    const std::int32_t base = add(std::move(typed));
    GrammarNode node;
    node.kind = GrammarNode::Kind::kLiteral;
    for (const auto& candidate : candidates) {
      const nlohmann::json value = nlohmann::json::parse(candidate.dump());
      if (!g_.accepts(base, value)) continue;
      if (std::find(node.literal_values.begin(), node.literal_values.end(), value) != node.literal_values.end())
        continue;
      node.literals.insert(candidate.dump(), static_cast<std::int32_t>(node.literal_values.size()));
      node.literal_values.push_back(value);
    }
    if (node.literal_values.empty()) node.kind = GrammarNode::Kind::kNever;
    return node;
  }

  GrammarNode build_typed(const Json& schema, const std::string& at, bool nullable) {
    std::vector<std::string> types;
    if (schema.contains("type")) {
      const Json& t = schema["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array()) {
        for (const auto& e : t) {
          require(e.is_string(), "JSON schema: 'type' must be a string or an array of strings (at {})", at);
          types.push_back(e.get<std::string>());
        }
      } else {
        fail("JSON schema: 'type' must be a string or an array of strings (at {})", at);
      }
      for (const auto& name : types)
        require(name == "object" || name == "array" || name == "string" || name == "number" || name == "integer" ||
                    name == "boolean" || name == "null",
                "JSON schema: unknown type '{}' (at {})", name, at);
    } else {
      // No type: the keywords present imply one (a narrower set of documents, all valid).
      auto has_any = [&](const auto& keys) {
        return std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return schema.contains(k); });
      };
      if (has_any(kObjectKeywords)) types.push_back("object");
      if (has_any(kArrayKeywords)) types.push_back("array");
      if (has_any(kStringKeywords)) types.push_back("string");
      if (types.empty()) {
        GrammarNode any;
        any.kind = GrammarNode::Kind::kAny;
        return any;
      }
    }
    if (nullable) types.push_back("null");
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    if (std::find(types.begin(), types.end(), "number") != types.end())
      types.erase(std::remove(types.begin(), types.end(), "integer"), types.end());

    if (types.size() == 1) return build_type(schema, at, types[0]);
    std::vector<std::int32_t> alternatives;
    for (const auto& name : types) alternatives.push_back(add(build_type(schema, at, name)));
    return any_of(std::move(alternatives));
  }

  GrammarNode build_type(const Json& schema, const std::string& at, const std::string& type) {
    GrammarNode node;
    using Kind = GrammarNode::Kind;
    if (type == "object") return build_object(schema, at);
    if (type == "array") return build_array(schema, at);
    if (type == "string") {
      node.kind = Kind::kString;
      if (schema.contains("minLength")) node.min_length = count_keyword(schema, "minLength", at);
      if (schema.contains("maxLength")) node.max_length = count_keyword(schema, "maxLength", at);
      if (node.min_length > node.max_length) node.kind = Kind::kNever;
      return node;
    }
    if (type == "number" || type == "integer") {
      node.kind = type == "number" ? Kind::kNumber : Kind::kInteger;
      return node;
    }
    node.kind = Kind::kLiteral;
    if (type == "boolean") {
      node.literals.insert("true", 0);
      node.literals.insert("false", 1);
      node.literal_values = {true, false};
    } else {  // null
      node.literals.insert("null", 0);
      node.literal_values = {nullptr};
    }
    return node;
  }

  GrammarNode build_object(const Json& schema, const std::string& at) {
    GrammarNode node;
    node.kind = GrammarNode::Kind::kObject;
    std::vector<std::string> required;
    if (schema.contains("required")) {
      const Json& r = schema["required"];
      require(r.is_array(), "JSON schema: 'required' must be an array of strings (at {})", at);
      for (const auto& name : r) {
        require(name.is_string(), "JSON schema: 'required' must be an array of strings (at {})", at);
        if (std::find(required.begin(), required.end(), name.get<std::string>()) == required.end())
          required.push_back(name.get<std::string>());
      }
    }
    const bool has_properties = schema.contains("properties");
    if (schema.contains("additionalProperties")) {
      const Json& a = schema["additionalProperties"];
      if (a.is_boolean())
        node.additional = a.get<bool>() ? JsonGrammar::kAnyNode : kNoNode;
      else
        node.additional = compile(a, at + "/additionalProperties");
    } else {
      node.additional = has_properties ? kNoNode : JsonGrammar::kAnyNode;
    }
    if (has_properties) {
      const Json& props = schema["properties"];
      require(props.is_object(), "JSON schema: 'properties' must be an object (at {})", at);
      for (const auto& [name, sub] : props.items()) {
        Property p;
        p.name = name;
        p.node = compile(sub, at + "/properties/" + pointer_escape(name));
        p.required = std::find(required.begin(), required.end(), name) != required.end();
        node.properties.push_back(std::move(p));
      }
    }
    for (const auto& name : required) {
      const bool declared = std::any_of(node.properties.begin(), node.properties.end(),
                                        [&](const Property& p) { return p.name == name; });
      if (declared) continue;
      require(node.additional != kNoNode,
              "JSON schema: required property '{}' is not in 'properties' and additionalProperties is false (at {})",
              name, at);
      node.properties.push_back(Property{name, node.additional, true});
    }
    require(node.properties.size() < 60000, "JSON schema: too many properties (at {})", at);
    return node;
  }

  GrammarNode build_array(const Json& schema, const std::string& at) {
    GrammarNode node;
    node.kind = GrammarNode::Kind::kArray;
    node.items = JsonGrammar::kAnyNode;
    auto compile_list = [&](const Json& list, const char* key) {
      for (std::size_t i = 0; i < list.size(); ++i)
        node.prefix_items.push_back(compile(list[i], fmt::format("{}/{}/{}", at, key, i)));
    };
    auto compile_rest = [&](const Json& rest, const char* key) {
      if (rest.is_boolean())
        node.items = rest.get<bool>() ? JsonGrammar::kAnyNode : kNoNode;
      else
        node.items = compile(rest, at + "/" + key);
    };
    if (schema.contains("prefixItems")) {
      require(schema["prefixItems"].is_array(), "JSON schema: 'prefixItems' must be an array (at {})", at);
      compile_list(schema["prefixItems"], "prefixItems");
      if (schema.contains("items")) compile_rest(schema["items"], "items");
    } else if (schema.contains("items") && schema["items"].is_array()) {
      compile_list(schema["items"], "items");
      if (schema.contains("additionalItems")) compile_rest(schema["additionalItems"], "additionalItems");
    } else if (schema.contains("items")) {
      compile_rest(schema["items"], "items");
    }
    if (schema.contains("minItems")) node.min_items = count_keyword(schema, "minItems", at);
    if (schema.contains("maxItems")) node.max_items = count_keyword(schema, "maxItems", at);
    return node;
  }

  // An anyOf that reaches itself through anyOf edges only adds nothing to the language (A = A | B is B);
  // dropping the edge that closes the cycle keeps the automaton's expansion finite.
  void break_anyof_cycles() {
    std::vector<std::uint8_t> mark(g_.nodes_.size(), 0);  // 0 new, 1 on stack, 2 done
    for (std::size_t start = 0; start < g_.nodes_.size(); ++start) visit(static_cast<std::int32_t>(start), mark);
  }
  void visit(std::int32_t index, std::vector<std::uint8_t>& mark) {
    auto& state = mark[static_cast<std::size_t>(index)];
    if (state != 0) return;
    state = 1;
    GrammarNode& node = g_.nodes_[static_cast<std::size_t>(index)];
    if (node.kind == GrammarNode::Kind::kAnyOf) {
      std::vector<std::int32_t> kept;
      for (std::int32_t alt : node.alternatives) {
        if (mark[static_cast<std::size_t>(alt)] == 1) continue;
        visit(alt, mark);
        kept.push_back(alt);
      }
      g_.nodes_[static_cast<std::size_t>(index)].alternatives = std::move(kept);
    }
    mark[static_cast<std::size_t>(index)] = 2;
  }

  // Least fixpoint: a node is satisfiable when some finite document matches it.
  void compute_satisfiable() {
    satisfiable_.assign(g_.nodes_.size(), false);
    auto sat = [&](std::int32_t i) { return i != kNoNode && satisfiable_[static_cast<std::size_t>(i)]; };
    using Kind = GrammarNode::Kind;
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < g_.nodes_.size(); ++i) {
        if (satisfiable_[i]) continue;
        const GrammarNode& n = g_.nodes_[i];
        bool ok = false;
        switch (n.kind) {
          case Kind::kAny:
          case Kind::kNumber:
          case Kind::kInteger:
            ok = true;
            break;
          case Kind::kString:
            ok = n.min_length <= n.max_length;
            break;
          case Kind::kNever:
            ok = false;
            break;
          case Kind::kLiteral:
            ok = !n.literal_values.empty();
            break;
          case Kind::kAnyOf:
            ok = std::any_of(n.alternatives.begin(), n.alternatives.end(), sat);
            break;
          case Kind::kObject:
            ok = std::all_of(n.properties.begin(), n.properties.end(),
                             [&](const Property& p) { return !p.required || sat(p.node); });
            break;
          case Kind::kArray: {
            ok = n.min_items <= n.max_items;
            const std::uint32_t check = std::min<std::uint32_t>(n.min_items, n.prefix_items.size() + 1);
            for (std::uint32_t k = 0; ok && k < check; ++k) ok = sat(n.item_node(k));
            break;
          }
        }
        if (ok) satisfiable_[i] = true, changed = true;
      }
    }
  }

  void prune() {
    auto sat = [&](std::int32_t i) { return i != kNoNode && satisfiable_[static_cast<std::size_t>(i)]; };
    using Kind = GrammarNode::Kind;
    for (auto& n : g_.nodes_) {
      if (n.kind == Kind::kAnyOf) {
        std::erase_if(n.alternatives, [&](std::int32_t a) { return !sat(a); });
      } else if (n.kind == Kind::kObject) {
        std::erase_if(n.properties, [&](const Property& p) { return !sat(p.node); });
        if (!sat(n.additional)) n.additional = kNoNode;
        n.keys = ByteTrie();
        n.last_required = -1;
        for (std::size_t i = 0; i < n.properties.size(); ++i) {
          n.keys.insert(nlohmann::json(n.properties[i].name).dump().substr(1), static_cast<std::int32_t>(i));
          if (n.properties[i].required) n.last_required = static_cast<std::int32_t>(i);
        }
        fill_next_required(n);
      } else if (n.kind == Kind::kArray) {
        for (std::size_t k = 0; k < n.prefix_items.size(); ++k) {
          if (sat(n.prefix_items[k])) continue;
          n.prefix_items.resize(k);
          n.items = kNoNode;
          break;
        }
        if (!sat(n.items)) n.items = kNoNode;
        if (n.items == kNoNode) n.max_items = std::min<std::uint32_t>(n.max_items, n.prefix_items.size());
      }
    }
  }

  const Json& document_;
  JsonGrammar& g_;
  std::map<const Json*, std::int32_t> compiled_;
  std::int32_t null_node_ = kNoNode;
  int depth_ = 0;
  std::vector<bool> satisfiable_;
};

std::shared_ptr<const JsonGrammar> JsonGrammar::from_schema(std::string_view schema_text) {
  Json document = Json::parse(schema_text, nullptr, false);
  require(!document.is_discarded(), "JSON schema: not valid JSON");
  std::shared_ptr<JsonGrammar> grammar(new JsonGrammar());
  SchemaCompiler compiler(document, *grammar);
  grammar->root_ = compiler.compile(document, "#");
  compiler.finalize();
  return grammar;
}

}  // namespace hearth::constrain
