#include "chat/jinja_ops.h"

#include <cmath>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_format.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

// Strings and lists built by `*` larger than this are refused (a template bug, not a prompt).
constexpr size_t kMaxRepeatBytes = size_t{64} << 20;

[[noreturn]] void overflow() { raise("integer overflow: the result does not fit in 64 bits"); }

[[noreturn]] void unsupported_operands(std::string_view op, const Value& a, const Value& b) {
  raise("unsupported operand type(s) for {}: '{}' and '{}'", op, a.type_name(), b.type_name());
}

std::string_view op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Sub:
      return "-";
    case BinaryOp::Mul:
      return "*";
    case BinaryOp::Div:
      return "/";
    case BinaryOp::FloorDiv:
      return "//";
    case BinaryOp::Mod:
      return "%";
    case BinaryOp::Pow:
      return "** or pow()";
    case BinaryOp::Concat:
      return "~";
    case BinaryOp::And:
      return "and";
    case BinaryOp::Or:
      return "or";
  }
  return "?";
}

// Python's float divmod: the remainder takes the divisor's sign.
std::pair<double, double> float_divmod(double x, double y) {
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  double floordiv;
  if (div != 0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, x / y);
  }
  return {floordiv, mod};
}

int64_t int_floordiv(int64_t a, int64_t b) {
  if (a == INT64_MIN && b == -1) overflow();
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t int_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

Value int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1)
      if (__builtin_mul_overflow(result, base, &result)) overflow();
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return Value(result);
}

Value repeat(const Value& seq, int64_t count) {
  if (count <= 0) {
    if (seq.is_string()) return Value(std::string());
    return seq.is_tuple() ? Value::tuple({}) : Value::list({});
  }
  size_t unit = seq.is_string() ? seq.as_string().size() : seq.as_list().size() * sizeof(Value);
  if (unit != 0 && static_cast<uint64_t>(count) > kMaxRepeatBytes / unit)
    raise("repetition result too large ({} copies)", count);
  if (seq.is_string()) {
    std::string out;
    out.reserve(seq.as_string().size() * count);
    for (int64_t i = 0; i < count; ++i) out += seq.as_string();
    return Value(std::move(out));
  }
  ValueList out;
  for (int64_t i = 0; i < count; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

bool is_repeatable(const Value& v) { return v.is_string() || v.is_sequence(); }

Value undefined_missing(const Value& obj, const Value& key) {
  if (key.is_string())
    return Value::undefined(fmt::format("'{}' has no attribute '{}'", obj.object_type_repr(), key.as_string()));
  return Value::undefined(fmt::format("{} has no element {}", obj.object_type_repr(), key.repr()));
}

// Python's slice.indices(): the visited positions of seq[start:stop:step] for a sequence of `len`.
std::vector<size_t> slice_positions(size_t len, const Value& start_v, const Value& stop_v, const Value& step_v) {
  auto given = [](const Value& v) { return !v.is_none() && !v.is_undefined(); };
  for (const Value* part : {&start_v, &stop_v, &step_v})
    if (given(*part) && !part->is_integral())
      raise("slice indices must be integers or None, not {}", part->type_name());
  int64_t n = static_cast<int64_t>(len);
  int64_t step = given(step_v) ? step_v.as_int() : 1;
  if (step == 0) raise("slice step cannot be zero");
  int64_t lower = step > 0 ? 0 : -1;
  int64_t upper = step > 0 ? n : n - 1;
  auto adjust = [&](const Value& v, int64_t fallback) {
    if (!given(v)) return fallback;
    int64_t i = v.as_int();
    if (i < 0) {
      i += n;
      if (i < lower) i = lower;
    } else if (i > upper) {
      i = upper;
    }
    return i;
  };
  int64_t start = adjust(start_v, step > 0 ? lower : upper);
  int64_t stop = adjust(stop_v, step > 0 ? upper : lower);
  std::vector<size_t> positions;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) positions.push_back(static_cast<size_t>(i));
  return positions;
}

bool ordering(CompareOp op, const Value& a, const Value& b) {
  require_defined(a);
  require_defined(b);
  auto apply = [op](auto x, auto y) {
    switch (op) {
      case CompareOp::Lt:
        return x < y;
      case CompareOp::Le:
        return x <= y;
      case CompareOp::Gt:
        return x > y;
      default:
        return x >= y;
    }
  };
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return apply(a.as_float(), b.as_float());
    return apply(a.as_int(), b.as_int());
  }
  if (a.is_string() && b.is_string()) return apply(a.as_string().compare(b.as_string()), 0);
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const ValueList& x = a.as_list();
    const ValueList& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (x[i] != y[i]) return ordering(op, x[i], y[i]);
    return apply(x.size(), y.size());
  }
  std::string_view symbol = op == CompareOp::Lt ? "<" : op == CompareOp::Le ? "<=" : op == CompareOp::Gt ? ">" : ">=";
  raise("'{}' not supported between instances of '{}' and '{}'", symbol, a.type_name(), b.type_name());
}

}  // namespace

void require_defined(const Value& v) {
  if (v.is_undefined()) throw RenderError(v.undefined_message());
}

Value binary_op(BinaryOp op, const Value& a, const Value& b) {
  if (op == BinaryOp::Concat) return Value(a.str() + b.str());
  if (op == BinaryOp::Mod && a.is_string()) return Value(py_percent_format(a.as_string(), b));
  require_defined(a);
  require_defined(b);
  bool numbers = a.is_number() && b.is_number();
  bool floats = numbers && (a.is_float() || b.is_float());
  switch (op) {
    case BinaryOp::Add: {
      if (floats) return Value(a.as_float() + b.as_float());
      if (numbers) {
        int64_t r;
        if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value(r);
      }
      if (a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
      if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        ValueList out = a.as_list();
        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
        return a.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
      }
      if (a.is_string() || a.is_list() || a.is_tuple())
        raise("can only concatenate {} (not \"{}\") to {}", a.type_name(), b.type_name(), a.type_name());
      unsupported_operands("+", a, b);
    }
    case BinaryOp::Sub: {
      if (floats) return Value(a.as_float() - b.as_float());
      if (numbers) {
        int64_t r;
        if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value(r);
      }
      unsupported_operands("-", a, b);
    }
    case BinaryOp::Mul: {
      if (floats) return Value(a.as_float() * b.as_float());
      if (numbers) {
        int64_t r;
        if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value(r);
      }
      if (is_repeatable(a) && b.is_integral()) return repeat(a, b.as_int());
      if (a.is_integral() && is_repeatable(b)) return repeat(b, a.as_int());
      if (is_repeatable(a) && b.is_float()) raise("can't multiply sequence by non-int of type 'float'");
      if (a.is_float() && is_repeatable(b)) raise("can't multiply sequence by non-int of type 'float'");
      unsupported_operands("*", a, b);
    }
    case BinaryOp::Div: {
      if (!numbers) unsupported_operands("/", a, b);
      if (b.as_float() == 0) raise("{}division by zero", floats ? "float " : "");
      return Value(a.as_float() / b.as_float());
    }
    case BinaryOp::FloorDiv: {
      if (!numbers) unsupported_operands("//", a, b);
      if (floats) {
        if (b.as_float() == 0) raise("float floor division by zero");
        return Value(float_divmod(a.as_float(), b.as_float()).first);
      }
      if (b.as_int() == 0) raise("integer division or modulo by zero");
      return Value(int_floordiv(a.as_int(), b.as_int()));
    }
    case BinaryOp::Mod: {
      if (!numbers) unsupported_operands("%", a, b);
      if (floats) {
        if (b.as_float() == 0) raise("float modulo");
        return Value(float_divmod(a.as_float(), b.as_float()).second);
      }
      if (b.as_int() == 0) raise("integer modulo by zero");
      return Value(int_mod(a.as_int(), b.as_int()));
    }
    case BinaryOp::Pow: {
      if (!numbers) unsupported_operands("** or pow()", a, b);
      if (!floats && b.as_int() >= 0) return int_pow(a.as_int(), b.as_int());
      double x = a.as_float(), y = b.as_float();
      if (x == 0 && y < 0) raise("0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) raise("a negative number raised to a fractional power has no real result");
      double r = std::pow(x, y);
      if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) raise("(34, 'Numerical result out of range')");
      return Value(r);
    }
    default:
      raise("unsupported operator {}", op_symbol(op));
  }
}

Value unary_op(UnaryOp op, const Value& v) {
  if (op == UnaryOp::Not) return Value(!v.truthy());
  require_defined(v);
  if (v.is_float()) return Value(op == UnaryOp::Neg ? -v.as_float() : v.as_float());
  if (v.is_integral()) {
    if (op == UnaryOp::Pos) return Value(v.as_int());
    if (v.as_int() == INT64_MIN) overflow();
    return Value(-v.as_int());
  }
  raise("bad operand type for unary {}: '{}'", op == UnaryOp::Neg ? "-" : "+", v.type_name());
}

bool compare_op(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::Eq:
      return a == b;
    case CompareOp::Ne:
      return a != b;
    case CompareOp::In:
      return value_in(a, b);
    case CompareOp::NotIn:
      return !value_in(a, b);
    default:
      return ordering(op, a, b);
  }
}

bool value_less(const Value& a, const Value& b) { return ordering(CompareOp::Lt, a, b); }

bool value_in(const Value& item, const Value& container) {
  switch (container.kind()) {
    case Value::Kind::String:
      if (!item.is_string()) raise("'in <string>' requires string as left operand, not {}", item.type_name());
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::List:
    case Value::Kind::Tuple:
      for (const Value& v : container.as_list())
        if (v == item) return true;
      return false;
    case Value::Kind::Dict:
      if (item.is_list() || item.is_dict()) raise("unhashable type: '{}'", item.type_name());
      return container.as_dict().find(item) != nullptr;
    case Value::Kind::Undefined:
      return false;
    default:
      raise("argument of type '{}' is not iterable", container.type_name());
  }
}

Value get_attr(const Value& obj, std::string_view name) {
  require_defined(obj);
  if (name.substr(0, 2) == "__") return Value::undefined(fmt::format("access to attribute '{}' is unsafe", name));
  switch (obj.kind()) {
    case Value::Kind::Dict: {
      if (auto method = find_method(obj, name)) return *method;
      if (const Value* v = obj.as_dict().find(name)) return *v;
      break;
    }
    case Value::Kind::String:
    case Value::Kind::List:
    case Value::Kind::Tuple:
      if (auto method = find_method(obj, name)) return *method;
      break;
    case Value::Kind::Object:
      return obj.as_object().get_attr(name);
    default:
      break;
  }
  return undefined_missing(obj, Value(name));
}

Value get_item(const Value& obj, const Value& key) {
  require_defined(obj);
  switch (obj.kind()) {
    case Value::Kind::Dict:
      if (const Value* v = obj.as_dict().find(key)) return *v;
      break;
    case Value::Kind::List:
    case Value::Kind::Tuple:
    case Value::Kind::String: {
      if (!key.is_integral()) break;
      int64_t i = key.as_int();
      if (obj.is_string()) {
        std::vector<size_t> offsets = code_point_offsets(obj.as_string());
        int64_t n = static_cast<int64_t>(offsets.size()) - 1;
        if (i < 0) i += n;
        if (i < 0 || i >= n) return undefined_missing(obj, key);
        return Value(obj.as_string().substr(offsets[i], offsets[i + 1] - offsets[i]));
      }
      int64_t n = static_cast<int64_t>(obj.as_list().size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return undefined_missing(obj, key);
      return obj.as_list()[static_cast<size_t>(i)];
    }
    default:
      break;
  }
  if (key.is_string()) return get_attr(obj, key.as_string());
  return undefined_missing(obj, key);
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  require_defined(obj);
  if (obj.is_string()) {
    const std::string& s = obj.as_string();
    std::vector<size_t> offsets = code_point_offsets(s);
    std::vector<size_t> positions = slice_positions(offsets.size() - 1, start, stop, step);
    std::string out;
    for (size_t p : positions) out.append(s, offsets[p], offsets[p + 1] - offsets[p]);
    return Value(std::move(out));
  }
  if (obj.is_sequence()) {
    const ValueList& items = obj.as_list();
    ValueList out;
    for (size_t p : slice_positions(items.size(), start, stop, step)) out.push_back(items[p]);
    return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  // Jinja compiles slices to a plain Python subscript, so other types fail outright.
  if (obj.is_dict()) raise("unhashable type: 'slice'");
  raise("'{}' object is not subscriptable", obj.type_name());
}

ValueList iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return v.as_list();
    case Value::Kind::Dict: {
      ValueList keys;
      keys.reserve(v.as_dict().size());
      for (const auto& [k, _] : v.as_dict().entries()) keys.push_back(k);
      return keys;
    }
    case Value::Kind::String: {
      ValueList chars;
      const std::string& s = v.as_string();
      size_t pos = 0;
      while (pos < s.size()) {
        size_t start = pos;
        next_code_point(s, pos);
        chars.emplace_back(s.substr(start, pos - start));
      }
      return chars;
    }
    case Value::Kind::Undefined:
      return {};
    default:
      raise("'{}' object is not iterable", v.type_name());
  }
}

size_t value_length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String:
      return code_point_count(v.as_string());
    case Value::Kind::List:
    case Value::Kind::Tuple:
      return v.as_list().size();
    case Value::Kind::Dict:
      return v.as_dict().size();
    case Value::Kind::Undefined:
      return 0;
    default:
      raise("object of type '{}' has no len()", v.type_name());
  }
}

}  // namespace hearth::jinja
