#include "schema_validator.h"

#include <cmath>

namespace hearth::constrain::test {

namespace {

using nlohmann::json;

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    return v.is_number_float() && std::floor(v.get<double>()) == v.get<double>();
  }
  return false;
}

std::string check(const json& schema, const json& v, const json& root, const std::string& at);

std::string check_items(const json& schema, const json& v, const json& root, const std::string& at) {
  std::size_t prefix = 0;
  const json* rest = nullptr;
  const json* tuple = nullptr;
  if (schema.contains("prefixItems")) {
    tuple = &schema["prefixItems"];
    if (schema.contains("items")) rest = &schema["items"];
  } else if (schema.contains("items") && schema["items"].is_array()) {
    tuple = &schema["items"];
    if (schema.contains("additionalItems")) rest = &schema["additionalItems"];
  } else if (schema.contains("items")) {
    rest = &schema["items"];
  }
  if (tuple) prefix = tuple->size();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json* item = i < prefix ? &(*tuple)[i] : rest;
    if (!item) continue;
    if (std::string e = check(*item, v[i], root, at + "/" + std::to_string(i)); !e.empty()) return e;
  }
  return "";
}

std::string check(const json& schema, const json& v, const json& root, const std::string& at) {
  if (schema.is_boolean()) return schema.get<bool>() ? "" : at + ": false schema";
  if (schema.contains("nullable") && schema["nullable"].get<bool>() && v.is_null()) return "";
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const json& target = ref == "#" ? root : root.at(json::json_pointer(ref.substr(1)));
    if (std::string e = check(target, v, root, at); !e.empty()) return e;
  }
  if (schema.contains("allOf"))
    for (const auto& sub : schema["allOf"])
      if (std::string e = check(sub, v, root, at); !e.empty()) return e;
  if (schema.contains("anyOf")) {
    bool any = false;
    for (const auto& sub : schema["anyOf"]) any = any || check(sub, v, root, at).empty();
    if (!any) return at + ": matches no anyOf alternative";
  }
  if (schema.contains("oneOf")) {
    int matches = 0;
    for (const auto& sub : schema["oneOf"]) matches += check(sub, v, root, at).empty();
    if (matches != 1) return at + ": matches " + std::to_string(matches) + " oneOf alternatives";
  }
  if (schema.contains("type")) {
    const json& t = schema["type"];
    bool ok = false;
    if (t.is_string()) ok = has_type(v, t.get<std::string>());
    for (const auto& name : t.is_array() ? t : json::array()) ok = ok || has_type(v, name.get<std::string>());
    if (!ok) return at + ": wrong type " + std::string(v.type_name());
  }
  if (schema.contains("const") && schema["const"] != v) return at + ": not the const";
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) return at + ": not in enum";
  }
  if (v.is_string()) {
    const std::size_t n = code_points(v.get<std::string>());
    if (schema.contains("minLength") && n < schema["minLength"].get<std::size_t>()) return at + ": too short";
    if (schema.contains("maxLength") && n > schema["maxLength"].get<std::size_t>()) return at + ": too long";
  }
  if (v.is_array()) {
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>()) return at + ": too few items";
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>()) return at + ": too many items";
    if (std::string e = check_items(schema, v, root, at); !e.empty()) return e;
  }
  if (v.is_object()) {
    if (schema.contains("required"))
      for (const auto& name : schema["required"])
        if (!v.contains(name.get<std::string>())) return at + ": missing required " + name.get<std::string>();
    for (const auto& [key, member] : v.items()) {
      const std::string path = at + "/" + key;
      if (schema.contains("properties") && schema["properties"].contains(key)) {
        if (std::string e = check(schema["properties"][key], member, root, path); !e.empty()) return e;
      } else if (schema.contains("additionalProperties")) {
        if (std::string e = check(schema["additionalProperties"], member, root, path); !e.empty()) return e;
      }
    }
  }
  return "";
}

}  // namespace

std::string validate_against_schema(const nlohmann::json& schema, const nlohmann::json& instance,
                                    const nlohmann::json& root) {
  return check(schema, instance, root, "#");
}

}  // namespace hearth::constrain::test
