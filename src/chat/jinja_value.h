#pragma once
// The value type of Hearth's Jinja interpreter: Python's data model as far as chat templates use it
// (None, bool, int, float, str, list, tuple, dict with insertion order, objects such as namespace,
// loop and callables), plus Jinja's Undefined. Lists, tuples and dicts are immutable once built
// (transformers renders in Jinja's ImmutableSandboxedEnvironment), so values share them freely;
// only namespace objects are mutable. A Value is cheap to copy.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::jinja {

class Value;
class Object;
class Interpreter;
using ValueList = std::vector<Value>;

// A dict that keeps insertion order (Python 3.7+). Lookup is linear: template dicts are small.
class Dict {
 public:
  using Entry = std::pair<Value, Value>;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  const Value* find(const std::string& key) const { return find(std::string_view(key)); }
  const Value* find(const char* key) const { return find(std::string_view(key)); }
  // Replaces the value of an existing key (keeping its position) or appends a new entry.
  void set(Value key, Value value);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  void reserve(size_t n) { entries_.reserve(n); }

 private:
  std::vector<Entry> entries_;
};

class Value {
 public:
  enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Tuple, Dict, Object };

  Value() = default;  // undefined
  Value(bool b) : kind_(Kind::Bool), data_(b) {}
  Value(int i) : kind_(Kind::Int), data_(int64_t{i}) {}
  Value(int64_t i) : kind_(Kind::Int), data_(i) {}
  Value(double f) : kind_(Kind::Float), data_(f) {}
  Value(std::string s) : kind_(Kind::String), data_(std::move(s)) {}
  Value(std::string_view s) : kind_(Kind::String), data_(std::string(s)) {}
  Value(const char* s) : kind_(Kind::String), data_(std::string(s)) {}

  // An undefined value; `message` is the error raised when it is used in a way Jinja's default
  // Undefined forbids (arithmetic, attribute access, calls, ...). Printing it gives "".
  static Value undefined(std::string message = {});
  static Value none();
  static Value list(ValueList items);
  static Value tuple(ValueList items);
  static Value dict(Dict d);
  static Value object(std::shared_ptr<Object> o);

  // Converts JSON (messages, tools, kwargs) keeping object key order.
  static Value from_json(const nlohmann::ordered_json& j);
  // The reverse: tuples become arrays, dict keys their str(). Throws RenderError for Undefined and
  // objects (namespace, macros, ...), which JSON cannot hold.
  nlohmann::ordered_json to_json() const;

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::Tuple; }
  bool is_sequence() const { return kind_ == Kind::List || kind_ == Kind::Tuple; }  // list or tuple
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_object() const { return kind_ == Kind::Object; }
  // Python's numbers.Number: bool, int and float.
  bool is_number() const { return kind_ == Kind::Bool || kind_ == Kind::Int || kind_ == Kind::Float; }
  // bool or int (Python's bool is an int subclass).
  bool is_integral() const { return kind_ == Kind::Bool || kind_ == Kind::Int; }

  // Accessors; REQUIRES: the matching kind (as_int also accepts Bool, as_float any number).
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const;
  double as_float() const;
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const ValueList& as_list() const { return *std::get<std::shared_ptr<const ValueList>>(data_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<const Dict>>(data_); }
  Object& as_object() const { return *std::get<std::shared_ptr<Object>>(data_); }
  const std::shared_ptr<Object>& object_ptr() const { return std::get<std::shared_ptr<Object>>(data_); }
  // The message an undefined value raises when used.
  std::string undefined_message() const;

  // Python truthiness (Undefined is false).
  bool truthy() const;
  // Python's str(): what {{ value }} prints ("" for Undefined, "None", "True", "1.5", "['a', 1]").
  std::string str() const;
  // Python's repr(): strings quoted, as inside a printed list.
  std::string repr() const;
  // Python's type name for error messages: "int", "str", "NoneType", "dict", ...
  std::string type_name() const;
  // Jinja's object_type_repr used in undefined messages: "dict object", "None", "str object".
  std::string object_type_repr() const;

  // Identity for Jinja's `sameas` test: same object for containers, equal value for scalars.
  bool same_as(const Value& other) const;

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<const ValueList>,
                            std::shared_ptr<const Dict>, std::shared_ptr<Object>>;
  Kind kind_ = Kind::Undefined;
  Data data_;  // Undefined keeps its message in the string alternative
};

// Python equality (1 == 1.0 == True, dicts compare without order, list != tuple).
bool operator==(const Value& a, const Value& b);
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }

// Arguments of a call: positional values and keyword values in call order.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;

  const Value* find_keyword(std::string_view name) const;
};

// Non-data values: namespace, loop, cycler, joiner, macros and built-in functions.
class Object {
 public:
  virtual ~Object() = default;
  // Python class name for messages ("Namespace", "LoopContext", "builtin_function_or_method").
  virtual std::string type_name() const = 0;
  // Attribute lookup; an undefined Value when missing.
  virtual Value get_attr(std::string_view name) const;
  // Attribute assignment; only namespaces accept it.
  virtual bool set_attr(std::string_view name, Value value);
  virtual bool callable() const { return false; }
  // REQUIRES: callable().
  virtual Value call(Interpreter& interp, CallArgs& args);
  virtual std::string repr() const;
  virtual bool is_namespace() const { return false; }
};

// A Python-style function implemented in C++ (globals, bound string/dict methods).
class BuiltinFunction : public Object {
 public:
  using Fn = Value (*)(Interpreter&, const Value& self, CallArgs&);
  BuiltinFunction(std::string name, Fn fn, Value self = Value())
      : name_(std::move(name)), fn_(fn), self_(std::move(self)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  Value call(Interpreter& interp, CallArgs& args) override { return fn_(interp, self_, args); }
  std::string repr() const override { return "<built-in function " + name_ + ">"; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  Fn fn_;
  Value self_;  // the bound object for methods
};

// Jinja's namespace(): the only mutable object templates can write to (`set ns.attr = ...`).
class Namespace : public Object {
 public:
  explicit Namespace(Dict attrs = {}) : attrs_(std::move(attrs)) {}
  std::string type_name() const override { return "Namespace"; }
  Value get_attr(std::string_view name) const override;
  bool set_attr(std::string_view name, Value value) override;
  std::string repr() const override;
  bool is_namespace() const override { return true; }

 private:
  Dict attrs_;
};

}  // namespace hearth::jinja
