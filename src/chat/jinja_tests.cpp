// Jinja2 3.1's built-in tests (`x is defined`, `n is divisibleby 3`, ...).
#include <cmath>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_ops.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

const Value& only_arg(const CallArgs& args, std::string_view test) {
  ArgBinder a(fmt::format("test '{}'", test), args, {"other"});
  if (!a.get(0)) raise("test '{}' needs an argument", test);
  return *a.get(0);
}

void no_args(const CallArgs& args, std::string_view test) { ArgBinder(fmt::format("test '{}'", test), args, {}); }

bool t_defined(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "defined"), !v.is_undefined(); }
bool t_undefined(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "undefined"), v.is_undefined(); }
bool t_none(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "none"), v.is_none(); }
bool t_boolean(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "boolean"), v.is_bool(); }
bool t_true(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "true"), v.is_bool() && v.as_bool(); }
bool t_false(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "false"), v.is_bool() && !v.as_bool(); }
bool t_integer(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "integer"), v.is_int(); }
bool t_float(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "float"), v.is_float(); }
bool t_number(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "number"), v.is_number(); }
bool t_string(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "string"), v.is_string(); }
bool t_mapping(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "mapping"), v.is_dict(); }
bool t_escaped(Interpreter&, const Value&, CallArgs& a) { return no_args(a, "escaped"), false; }

// Python's iter() succeeds on these (Jinja's Undefined iterates as empty).
bool t_iterable(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "iterable");
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}

// len() and __getitem__ both exist.
bool t_sequence(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "sequence");
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}

bool t_callable(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "callable");
  return v.is_undefined() || (v.is_object() && v.as_object().callable());  // Jinja's Undefined has __call__
}

bool t_sameas(Interpreter&, const Value& v, CallArgs& a) { return v.same_as(only_arg(a, "sameas")); }

Value remainder(const Value& v, const Value& divisor, std::string_view test) {
  require_defined(v);
  if (!v.is_number()) raise("test '{}' needs a number, not {}", test, v.type_name());
  return binary_op(BinaryOp::Mod, v, divisor);
}

bool t_odd(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "odd");
  return remainder(v, Value(2), "odd") == Value(1);
}

bool t_even(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "even");
  return remainder(v, Value(2), "even") == Value(0);
}

bool t_divisibleby(Interpreter&, const Value& v, CallArgs& a) {
  ArgBinder args("test 'divisibleby'", a, {"num"});
  if (!args.get(0)) raise("test 'divisibleby' needs a divisor");
  return remainder(v, *args.get(0), "divisibleby") == Value(0);
}

bool t_eq(Interpreter&, const Value& v, CallArgs& a) { return v == only_arg(a, "eq"); }
bool t_ne(Interpreter&, const Value& v, CallArgs& a) { return v != only_arg(a, "ne"); }
bool t_lt(Interpreter&, const Value& v, CallArgs& a) { return compare_op(CompareOp::Lt, v, only_arg(a, "lt")); }
bool t_le(Interpreter&, const Value& v, CallArgs& a) { return compare_op(CompareOp::Le, v, only_arg(a, "le")); }
bool t_gt(Interpreter&, const Value& v, CallArgs& a) { return compare_op(CompareOp::Gt, v, only_arg(a, "gt")); }
bool t_ge(Interpreter&, const Value& v, CallArgs& a) { return compare_op(CompareOp::Ge, v, only_arg(a, "ge")); }

bool t_in(Interpreter&, const Value& v, CallArgs& a) {
  ArgBinder args("test 'in'", a, {"seq"});
  if (!args.get(0)) raise("test 'in' needs a container");
  return value_in(v, *args.get(0));
}

// str.islower()/isupper(): some cased character, and all cased characters of that case.
bool case_test(const Value& v, bool want_upper) {
  std::string s = v.str();
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = next_code_point(s, pos);
    if (want_upper ? py_is_cased_lower(cp) : py_is_cased_upper(cp)) return false;
    cased = cased || py_is_cased(cp);
  }
  return cased;
}

bool t_lower(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "lower"), case_test(v, false); }
bool t_upper(Interpreter&, const Value& v, CallArgs& a) { return no_args(a, "upper"), case_test(v, true); }

bool t_filter(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "filter");
  return v.is_string() && filter_status(v.as_string()) == BuiltinStatus::Supported;
}

bool t_test(Interpreter&, const Value& v, CallArgs& a) {
  no_args(a, "test");
  return v.is_string() && test_status(v.as_string()) == BuiltinStatus::Supported;
}

struct TestEntry {
  std::string_view name;
  TestFn fn;
};

constexpr TestEntry kTests[] = {
    {"boolean", t_boolean},
    {"callable", t_callable},
    {"defined", t_defined},
    {"divisibleby", t_divisibleby},
    {"eq", t_eq},
    {"equalto", t_eq},
    {"==", t_eq},
    {"escaped", t_escaped},
    {"even", t_even},
    {"false", t_false},
    {"filter", t_filter},
    {"float", t_float},
    {"ge", t_ge},
    {">=", t_ge},
    {"gt", t_gt},
    {">", t_gt},
    {"greaterthan", t_gt},
    {"in", t_in},
    {"integer", t_integer},
    {"iterable", t_iterable},
    {"le", t_le},
    {"<=", t_le},
    {"lower", t_lower},
    {"lt", t_lt},
    {"<", t_lt},
    {"lessthan", t_lt},
    {"mapping", t_mapping},
    {"ne", t_ne},
    {"!=", t_ne},
    {"none", t_none},
    {"number", t_number},
    {"odd", t_odd},
    {"sameas", t_sameas},
    {"sequence", t_sequence},
    {"string", t_string},
    {"test", t_test},
    {"true", t_true},
    {"undefined", t_undefined},
    {"upper", t_upper},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const TestEntry& e : kTests)
    if (e.name == name) return e.fn;
  return nullptr;
}

BuiltinStatus test_status(std::string_view name) {
  return find_test(name) ? BuiltinStatus::Supported : BuiltinStatus::Unknown;
}

}  // namespace hearth::jinja
