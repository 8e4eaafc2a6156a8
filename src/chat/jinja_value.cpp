#include "chat/jinja_value.h"

#include <cmath>

#include "chat/jinja_error.h"
#include "chat/jinja_format.h"

namespace hearth::jinja {
namespace {

Value from_json_at(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxValueDepth) raise("JSON value nested too deeply (more than {} levels)", kMaxValueDepth);
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get_ref<const std::string&>());
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json_at(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict d;
      d.reserve(j.size());
      for (const auto& [key, item] : j.items()) d.set(Value(key), from_json_at(item, depth + 1));
      return Value::dict(std::move(d));
    }
    default:
      raise("unsupported JSON value type");
  }
}

nlohmann::ordered_json to_json_at(const Value& v, int depth) {
  if (depth > kMaxValueDepth) raise("value nested too deeply for JSON");
  switch (v.kind()) {
    case Value::Kind::None:
      return nullptr;
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Int:
      return v.as_int();
    case Value::Kind::Float:
      return v.as_float();
    case Value::Kind::String:
      return v.as_string();
    case Value::Kind::List:
    case Value::Kind::Tuple: {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const Value& item : v.as_list()) out.push_back(to_json_at(item, depth + 1));
      return out;
    }
    case Value::Kind::Dict: {
      nlohmann::ordered_json out = nlohmann::ordered_json::object();
      for (const auto& [k, item] : v.as_dict().entries()) out[k.str()] = to_json_at(item, depth + 1);
      return out;
    }
    case Value::Kind::Undefined:
      raise("an undefined value has no JSON form");
    case Value::Kind::Object:
      raise("a {} object has no JSON form", v.as_object().type_name());
  }
  return nullptr;
}

void append_repr(std::string& out, const Value& v, int depth);

void append_sequence_repr(std::string& out, const ValueList& items, bool tuple, int depth) {
  out += tuple ? '(' : '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    append_repr(out, items[i], depth + 1);
  }
  if (tuple && items.size() == 1) out += ',';
  out += tuple ? ')' : ']';
}

void append_repr(std::string& out, const Value& v, int depth) {
  if (depth > kMaxValueDepth) raise("value nested too deeply to print");
  switch (v.kind()) {
    case Value::Kind::String:
      out += py_string_repr(v.as_string());
      return;
    case Value::Kind::Undefined:
      out += "Undefined";
      return;
    case Value::Kind::List:
      append_sequence_repr(out, v.as_list(), false, depth);
      return;
    case Value::Kind::Tuple:
      append_sequence_repr(out, v.as_list(), true, depth);
      return;
    case Value::Kind::Dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.as_dict().entries()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, k, depth + 1);
        out += ": ";
        append_repr(out, val, depth + 1);
      }
      out += '}';
      return;
    }
    case Value::Kind::Object:
      out += v.as_object().repr();
      return;
    default:
      out += v.str();
      return;
  }
}

bool sequences_equal(const ValueList& a, const ValueList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

// ---- Dict --------------------------------------------------------------------------------------

const Value* Dict::find(const Value& key) const {
  if (key.is_string()) return find(std::string_view(key.as_string()));
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k.is_string() && k.as_string() == key) return &v;
  return nullptr;
}

void Dict::set(Value key, Value value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

// ---- Value -------------------------------------------------------------------------------------

Value Value::undefined(std::string message) {
  Value v;
  v.data_ = std::move(message);
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::None;
  return v;
}

Value Value::list(ValueList items) {
  Value v;
  v.kind_ = Kind::List;
  v.data_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::tuple(ValueList items) {
  Value v;
  v.kind_ = Kind::Tuple;
  v.data_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::dict(Dict d) {
  Value v;
  v.kind_ = Kind::Dict;
  v.data_ = std::make_shared<const Dict>(std::move(d));
  return v;
}

Value Value::object(std::shared_ptr<Object> o) {
  Value v;
  v.kind_ = Kind::Object;
  v.data_ = std::move(o);
  return v;
}

Value Value::from_json(const nlohmann::ordered_json& j) { return from_json_at(j, 0); }

nlohmann::ordered_json Value::to_json() const { return to_json_at(*this, 0); }

int64_t Value::as_int() const {
  if (kind_ == Kind::Bool) return std::get<bool>(data_) ? 1 : 0;
  return std::get<int64_t>(data_);
}

double Value::as_float() const {
  if (kind_ == Kind::Float) return std::get<double>(data_);
  return static_cast<double>(as_int());
}

std::string Value::undefined_message() const {
  if (const auto* s = std::get_if<std::string>(&data_); s && !s->empty()) return *s;
  return "value is undefined";
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Undefined:
    case Kind::None:
      return false;
    case Kind::Bool:
      return as_bool();
    case Kind::Int:
      return as_int() != 0;
    case Kind::Float:
      return as_float() != 0.0;
    case Kind::String:
      return !as_string().empty();
    case Kind::List:
    case Kind::Tuple:
      return !as_list().empty();
    case Kind::Dict:
      return !as_dict().empty();
    case Kind::Object:
      return true;
  }
  return false;
}

std::string Value::str() const {
  switch (kind_) {
    case Kind::Undefined:
      return "";
    case Kind::None:
      return "None";
    case Kind::Bool:
      return as_bool() ? "True" : "False";
    case Kind::Int:
      return std::to_string(as_int());
    case Kind::Float:
      return py_float_repr(as_float());
    case Kind::String:
      return as_string();
    default:
      return repr();
  }
}

std::string Value::repr() const {
  std::string out;
  append_repr(out, *this, 0);
  return out;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Undefined:
      return "Undefined";
    case Kind::None:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return "list";
    case Kind::Tuple:
      return "tuple";
    case Kind::Dict:
      return "dict";
    case Kind::Object:
      return as_object().type_name();
  }
  return "object";
}

std::string Value::object_type_repr() const {
  switch (kind_) {
    case Kind::None:
      return "None";
    case Kind::Undefined:
      return "jinja2.runtime.Undefined object";
    case Kind::Object:
      if (as_object().is_namespace()) return "jinja2.utils.Namespace object";
      return as_object().type_name() + " object";
    default:
      return type_name() + " object";
  }
}

bool Value::same_as(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::List:
    case Kind::Tuple:
      return &as_list() == &other.as_list();
    case Kind::Dict:
      return &as_dict() == &other.as_dict();
    case Kind::Object:
      return object_ptr() == other.object_ptr();
    case Kind::Float:
      return as_float() == other.as_float();
    default:
      return *this == other;
  }
}

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::Undefined:
    case K::None:
      return true;
    case K::String:
      return a.as_string() == b.as_string();
    case K::List:
    case K::Tuple:
      return sequences_equal(a.as_list(), b.as_list());
    case K::Dict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries()) {
        const Value* other = y.find(k);
        if (!other || *other != v) return false;
      }
      return true;
    }
    case K::Object:
      return a.object_ptr() == b.object_ptr();
    default:
      return false;
  }
}

// ---- CallArgs / objects ------------------------------------------------------------------------

const Value* CallArgs::find_keyword(std::string_view name) const {
  for (const auto& [k, v] : keyword)
    if (k == name) return &v;
  return nullptr;
}

Value Object::get_attr(std::string_view name) const {
  return Value::undefined(fmt::format("'{} object' has no attribute '{}'", type_name(), name));
}

bool Object::set_attr(std::string_view, Value) { return false; }

Value Object::call(Interpreter&, CallArgs&) { raise("'{}' object is not callable", type_name()); }

std::string Object::repr() const { return fmt::format("<{} object>", type_name()); }

Value Namespace::get_attr(std::string_view name) const {
  if (const Value* v = attrs_.find(name)) return *v;
  return Value::undefined(fmt::format("'jinja2.utils.Namespace object' has no attribute '{}'", name));
}

bool Namespace::set_attr(std::string_view name, Value value) {
  attrs_.set(Value(name), std::move(value));
  return true;
}

std::string Namespace::repr() const { return "<Namespace " + Value::dict(attrs_).repr() + ">"; }

}  // namespace hearth::jinja
