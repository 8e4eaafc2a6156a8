// Jinja2 3.1's built-in filters, with transformers' tojson (json.dumps without HTML escaping).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_format.h"
#include "chat/jinja_interpreter.h"
#include "chat/jinja_ops.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

// ---- helpers -----------------------------------------------------------------------------------

int64_t int_arg(const Value& v, std::string_view what) {
  if (!v.is_integral()) raise("{} must be an integer, not {}", what, v.type_name());
  return v.as_int();
}

bool bool_arg(const Value* v, bool fallback = false) { return v ? v->truthy() : fallback; }

Value lower_if_string(const Value& v) { return v.is_string() ? Value(py_lower(v.as_string())) : v; }

// Jinja's make_attrgetter: "a.b.0" walks keys/attributes/indexes; `fallback` replaces undefined.
class AttrGetter {
 public:
  AttrGetter(const Value* attribute, bool ignore_case, const Value* fallback = nullptr)
      : ignore_case_(ignore_case), fallback_(fallback) {
    if (!attribute || attribute->is_none()) return;
    if (!attribute->is_string()) {
      parts_.push_back(*attribute);
      return;
    }
    for (const std::string& part : py_split(attribute->as_string(), std::string("."), -1)) {
      bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
      parts_.push_back(digits ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part));
    }
  }

  Value operator()(const Value& item) const {
    Value v = item;
    for (const Value& part : parts_) {
      v = get_item(v, part);
      if (fallback_ && v.is_undefined()) v = *fallback_;
    }
    return ignore_case_ ? lower_if_string(v) : v;
  }

 private:
  std::vector<Value> parts_;
  bool ignore_case_;
  const Value* fallback_;
};

// Sorts items by key with Python's stable sorted(); reverse keeps equal items in order.
ValueList sorted_by(ValueList items, const std::function<Value(const Value&)>& key, bool reverse) {
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const Value& item : items) keys.push_back(key(item));
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return reverse ? value_less(keys[b], keys[a]) : value_less(keys[a], keys[b]);
  });
  ValueList out;
  out.reserve(items.size());
  for (size_t i : order) out.push_back(std::move(items[i]));
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Python's round(x, ndigits) for floats: the correctly rounded decimal, ties to even.
double py_round(double x, int64_t ndigits) {
  if (!std::isfinite(x)) return x;
  if (ndigits > 300) return x;
  if (ndigits < -308) return std::copysign(0.0, x);
  if (ndigits >= 0) {
    int size = std::snprintf(nullptr, 0, "%.*f", static_cast<int>(ndigits), x);
    std::string buf(static_cast<size_t>(size), '\0');
    std::snprintf(buf.data(), buf.size() + 1, "%.*f", static_cast<int>(ndigits), x);
    return std::strtod(buf.c_str(), nullptr);
  }
  double scale = std::pow(10.0, static_cast<double>(-ndigits));
  double y = x / scale;
  double r = std::nearbyint(y);  // ties to even in the default rounding mode
  return r * scale;
}

// ---- filters -----------------------------------------------------------------------------------

Value f_abs(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("abs", args, {});
  require_defined(v);
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_integral()) {
    if (v.as_int() == INT64_MIN) raise("integer overflow: the result does not fit in 64 bits");
    return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  raise("bad operand type for abs(): '{}'", v.type_name());
}

Value f_attr(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("attr", args, {"name"});
  if (!a.get(0)) raise("attr filter needs an attribute name");
  std::string name = a.get(0)->str();
  if (v.is_object()) return v.as_object().get_attr(name);
  if (auto method = find_method(v, name)) return *method;
  return Value::undefined(fmt::format("'{}' has no attribute '{}'", v.object_type_repr(), name));
}

Value f_batch(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("batch", args, {"linecount", "fill_with"});
  if (!a.get(0)) raise("batch filter needs a line count");
  int64_t n = int_arg(*a.get(0), "batch size");
  if (n <= 0) raise("batch size must be positive");
  ValueList out, current;
  for (Value& item : iterate(v)) {
    if (static_cast<int64_t>(current.size()) == n) out.push_back(Value::list(std::exchange(current, {})));
    current.push_back(std::move(item));
  }
  if (!current.empty()) {
    if (a.get(1) && !a.get(1)->is_none())
      while (static_cast<int64_t>(current.size()) < n) current.push_back(*a.get(1));
    out.push_back(Value::list(std::move(current)));
  }
  return Value::list(std::move(out));
}

Value f_capitalize(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("capitalize", args, {});
  return Value(py_capitalize(v.str()));
}

Value f_center(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("center", args, {"width"});
  return Value(py_pad(v.str(), a.get(0) ? int_arg(*a.get(0), "width") : 80, ' ', '^'));
}

Value f_default(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("default", args, {"default_value", "boolean"});
  bool use_default = v.is_undefined() || (bool_arg(a.get(1)) && !v.truthy());
  return use_default ? a.get_or(0, Value("")) : v;
}

Value f_dictsort(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) raise("dictsort needs a mapping, not {}", v.type_name());
  bool case_sensitive = bool_arg(a.get(0));
  std::string by = a.get(1) ? a.get(1)->str() : "key";
  if (by != "key" && by != "value") raise("You can only sort by either \"key\" or \"value\"");
  size_t pos = by == "key" ? 0 : 1;
  ValueList pairs;
  for (const auto& [k, val] : v.as_dict().entries()) pairs.push_back(Value::tuple({k, val}));
  return Value::list(sorted_by(
      std::move(pairs),
      [&](const Value& pair) {
        const Value& key = pair.as_list()[pos];
        return case_sensitive ? key : lower_if_string(key);
      },
      bool_arg(a.get(2))));
}

Value f_escape(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("escape", args, {});
  return Value(html_escape(v.str()));
}

Value f_first(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("first", args, {});
  if (v.is_sequence()) {
    if (!v.as_list().empty()) return v.as_list().front();
  } else {
    ValueList items = iterate(v);
    if (!items.empty()) return items.front();
  }
  return Value::undefined("No first item, sequence was empty.");
}

Value f_last(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("last", args, {});
  if (v.is_sequence()) {
    if (!v.as_list().empty()) return v.as_list().back();
  } else {
    ValueList items = iterate(v);
    if (!items.empty()) return items.back();
  }
  return Value::undefined("No last item, sequence was empty.");
}

Value f_float(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("float", args, {"default"});
  Value fallback = a.get_or(0, Value(0.0));
  require_defined(v);
  if (v.is_number()) return Value(v.as_float());
  if (v.is_string()) {
    if (auto f = py_parse_float(v.as_string())) return Value(*f);
  }
  return fallback;
}

Value f_format(Interpreter&, const Value& v, CallArgs& args) {
  if (!args.keyword.empty() && !args.positional.empty())
    raise("can't handle positional and keyword arguments at the same time");
  if (!args.keyword.empty()) {
    Dict d;
    for (const auto& [k, val] : args.keyword) d.set(Value(k), val);
    return Value(py_percent_format(v.str(), Value::dict(std::move(d))));
  }
  return Value(py_percent_format(v.str(), Value::tuple(args.positional)));
}

Value f_indent(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("indent", args, {"width", "first", "blank"});
  require_defined(v);
  if (!v.is_string()) raise("unsupported operand type(s) for +=: '{}' and 'str'", v.type_name());
  std::string indentation;
  if (a.get(0) && a.get(0)->is_string())
    indentation = a.get(0)->as_string();
  else
    indentation =
        std::string(static_cast<size_t>(std::max<int64_t>(0, a.get(0) ? int_arg(*a.get(0), "width") : 4)), ' ');
  bool first = bool_arg(a.get(1)), blank = bool_arg(a.get(2));
  std::string s = v.str() + "\n";  // Jinja's quirk so splitlines keeps a trailing empty line
  std::vector<std::string> lines = py_splitlines(s, false);
  std::string out;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) out += "\n" + indentation;
      out += lines[i];
    }
  } else {
    out = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) out += "\n" + (lines[i].empty() ? "" : indentation + lines[i]);
  }
  if (first) out = indentation + out;
  return Value(std::move(out));
}

Value f_int(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("int", args, {"default", "base"});
  Value fallback = a.get_or(0, Value(0));
  int base = a.get(1) ? static_cast<int>(int_arg(*a.get(1), "base")) : 10;
  require_defined(v);
  if (v.is_integral()) return Value(v.as_int());
  if (v.is_float()) {
    double f = v.as_float();
    if (std::isnan(f)) raise("cannot convert float NaN to integer");
    if (!(std::fabs(f) < 9.2e18)) raise("cannot convert float {} to a 64-bit integer", py_float_repr(f));
    return Value(static_cast<int64_t>(std::trunc(f)));
  }
  if (v.is_string()) {
    if (auto i = py_parse_int(v.as_string(), base)) return Value(*i);
    if (auto f = py_parse_float(v.as_string())) {  // "42.23"|int gives 42
      if (std::isnan(*f) || !(std::fabs(*f) < 9.2e18)) raise("cannot convert {} to an integer", v.repr());
      return Value(static_cast<int64_t>(std::trunc(*f)));
    }
  }
  return fallback;
}

Value f_items(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("items", args, {});
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) raise("Can only get item pairs from a mapping.");
  ValueList pairs;
  for (const auto& [k, val] : v.as_dict().entries()) pairs.push_back(Value::tuple({k, val}));
  return Value::list(std::move(pairs));
}

Value f_join(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("join", args, {"d", "attribute"});
  std::string sep = a.get(0) ? a.get(0)->str() : "";
  AttrGetter getter(a.get(1), false);
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += (a.get(1) ? getter(item) : item).str();
  }
  return Value(std::move(out));
}

Value f_length(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("length", args, {});
  return Value(static_cast<int64_t>(value_length(v)));
}

Value f_list(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("list", args, {});
  return Value::list(iterate(v));
}

Value f_lower(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("lower", args, {});
  return Value(py_lower(v.str()));
}

Value f_upper(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("upper", args, {});
  return Value(py_upper(v.str()));
}

Value f_map(Interpreter& interp, const Value& v, CallArgs& args) {
  ValueList items = v.truthy() ? iterate(v) : ValueList{};  // Jinja maps nothing over a falsy value
  ValueList out;
  out.reserve(items.size());
  if (args.positional.empty() && args.find_keyword("attribute")) {
    ArgBinder a("map", args, {"attribute", "default"});
    AttrGetter getter(a.get(0), false, a.get(1));
    for (const Value& item : items) out.push_back(getter(item));
    return Value::list(std::move(out));
  }
  if (args.positional.empty()) raise("map requires a filter argument");
  std::string name = args.positional[0].str();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : items) {
    CallArgs call_args = rest;
    out.push_back(interp.apply_filter(name, item, call_args));
  }
  return Value::list(std::move(out));
}

Value min_max(const Value& v, CallArgs& args, bool want_max, std::string_view name) {
  ArgBinder a(name, args, {"case_sensitive", "attribute"});
  AttrGetter key(a.get(1), !bool_arg(a.get(0)));
  ValueList items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key = key(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = key(items[i]);
    if (want_max ? value_less(best_key, k) : value_less(k, best_key)) {
      best = i;
      best_key = std::move(k);
    }
  }
  return items[best];
}

Value f_max(Interpreter&, const Value& v, CallArgs& args) { return min_max(v, args, true, "max"); }
Value f_min(Interpreter&, const Value& v, CallArgs& args) { return min_max(v, args, false, "min"); }

// select / reject / selectattr / rejectattr share one implementation.
Value select_impl(Interpreter& interp, const Value& v, CallArgs& args, bool keep_matches, bool by_attribute) {
  size_t first_test_arg = 0;
  std::optional<AttrGetter> getter;
  if (by_attribute) {
    if (args.positional.empty()) raise("{} needs an attribute name", keep_matches ? "selectattr" : "rejectattr");
    getter.emplace(&args.positional[0], false);
    first_test_arg = 1;
  }
  std::optional<std::string> test_name;
  CallArgs test_args;
  if (args.positional.size() > first_test_arg) {
    test_name = args.positional[first_test_arg].str();
    test_args.positional.assign(args.positional.begin() + first_test_arg + 1, args.positional.end());
    test_args.keyword = args.keyword;
  }
  ValueList out;
  if (!v.truthy()) return Value::list({});  // Jinja selects nothing from a falsy value
  for (const Value& item : iterate(v)) {
    Value subject = getter ? (*getter)(item) : item;
    bool match;
    if (test_name) {
      CallArgs call_args = test_args;
      match = interp.apply_test(*test_name, subject, call_args);
    } else {
      match = subject.truthy();
    }
    if (match == keep_matches) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_select(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, true, false); }
Value f_reject(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, false, false); }
Value f_selectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, true, true); }
Value f_rejectattr(Interpreter& i, const Value& v, CallArgs& a) { return select_impl(i, v, a, false, true); }

Value f_replace(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("replace", args, {"old", "new", "count"});
  if (!a.get(0) || !a.get(1)) raise("replace needs the old and the new text");
  int64_t count = a.get(2) && !a.get(2)->is_none() ? int_arg(*a.get(2), "count") : -1;
  return Value(py_replace(v.str(), a.get(0)->str(), a.get(1)->str(), count));
}

Value f_reverse(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("reverse", args, {});
  if (v.is_string()) {
    std::vector<size_t> offsets = code_point_offsets(v.as_string());
    std::string out;
    for (size_t i = offsets.size() - 1; i > 0; --i)
      out.append(v.as_string(), offsets[i - 1], offsets[i] - offsets[i - 1]);
    return Value(std::move(out));
  }
  ValueList items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_round(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("round", args, {"precision", "method"});
  int64_t precision = a.get(0) ? int_arg(*a.get(0), "precision") : 0;
  std::string method = a.get(1) ? a.get(1)->str() : "common";
  if (method != "common" && method != "ceil" && method != "floor") raise("method must be common, ceil or floor");
  require_defined(v);
  if (!v.is_number()) raise("type {} doesn't define __round__ method", v.type_name());
  if (method == "common") {
    if (v.is_integral()) return Value(v.as_int());  // round(int, n) stays an int
    return Value(py_round(v.as_float(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_float() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Value f_safe(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("safe", args, {});
  return Value(v.str());
}

Value f_slice(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("slice", args, {"slices", "fill_with"});
  if (!a.get(0)) raise("slice filter needs the number of slices");
  int64_t slices = int_arg(*a.get(0), "slices");
  if (slices <= 0) raise("number of slices must be positive");
  ValueList seq = iterate(v);
  int64_t length = static_cast<int64_t>(seq.size());
  int64_t per_slice = length / slices, with_extra = length % slices, offset = 0;
  ValueList out;
  for (int64_t n = 0; n < slices; ++n) {
    int64_t start = offset + n * per_slice;
    if (n < with_extra) ++offset;
    int64_t end = offset + (n + 1) * per_slice;
    ValueList part(seq.begin() + start, seq.begin() + end);
    if (a.get(1) && !a.get(1)->is_none() && n >= with_extra) part.push_back(*a.get(1));
    out.push_back(Value::list(std::move(part)));
  }
  return Value::list(std::move(out));
}

Value f_sort(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("sort", args, {"reverse", "case_sensitive", "attribute"});
  AttrGetter key(a.get(2), !bool_arg(a.get(1)));
  return Value::list(sorted_by(
      iterate(v), [&](const Value& item) { return key(item); }, bool_arg(a.get(0))));
}

Value f_string(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("string", args, {});
  return Value(v.str());
}

Value f_sum(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("sum", args, {"attribute", "start"});
  AttrGetter getter(a.get(0), false);
  Value total = a.get_or(1, Value(0));
  for (const Value& item : iterate(v)) total = binary_op(BinaryOp::Add, total, a.get(0) ? getter(item) : item);
  return total;
}

Value f_title(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("title", args, {});
  // Jinja capitalises every word after '-', whitespace or an opening bracket.
  std::string s = v.str(), out;
  auto is_separator = [](char32_t cp) {
    return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || py_isspace(cp);
  };
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    bool sep = is_separator(next_code_point(s, pos));
    while (pos < s.size()) {
      size_t next = pos;
      if (is_separator(next_code_point(s, next)) != sep) break;
      pos = next;
    }
    std::string_view item(s.data() + start, pos - start);
    size_t first_end = 0;
    next_code_point(item, first_end);
    out += py_upper(item.substr(0, first_end)) + py_lower(item.substr(first_end));
  }
  return Value(std::move(out));
}

Value f_tojson(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonDumpOptions opt;
  opt.ensure_ascii = bool_arg(a.get(0));
  if (const Value* indent = a.get(1); indent && !indent->is_none()) {
    if (indent->is_string())
      opt.indent = indent->as_string();
    else
      opt.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, int_arg(*indent, "indent"))), ' ');
    opt.item_separator = ",";
  }
  if (const Value* seps = a.get(2); seps && !seps->is_none()) {
    if (!seps->is_sequence() || seps->as_list().size() != 2 || !seps->as_list()[0].is_string() ||
        !seps->as_list()[1].is_string())
      raise("tojson separators must be a pair of strings");
    opt.item_separator = seps->as_list()[0].as_string();
    opt.key_separator = seps->as_list()[1].as_string();
  }
  opt.sort_keys = bool_arg(a.get(3));
  return Value(py_json_dumps(v, opt));
}

Value f_trim(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("trim", args, {"chars"});
  std::string s = v.str();
  std::optional<std::string> chars;
  if (a.get(0) && !a.get(0)->is_none()) chars = a.get(0)->str();
  return Value(py_strip(s, chars ? &*chars : nullptr, true, true));
}

Value f_truncate(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("truncate", args, {"length", "killwords", "end", "leeway"});
  int64_t length = a.get(0) ? int_arg(*a.get(0), "length") : 255;
  int64_t leeway_given = a.get(3) && !a.get(3)->is_none() ? int_arg(*a.get(3), "leeway") : 5;
  // Like Jinja: anything short enough comes back unchanged; only strings can be cut.
  if (static_cast<int64_t>(value_length(v)) <= length + leeway_given) return v;
  if (!v.is_string()) raise("truncate needs a string, not {}", v.type_name());
  std::string s = v.str();
  bool killwords = bool_arg(a.get(1));
  std::string end = a.get(2) ? a.get(2)->str() : "...";
  int64_t leeway = a.get(3) && !a.get(3)->is_none() ? int_arg(*a.get(3), "leeway") : 5;
  int64_t end_len = static_cast<int64_t>(code_point_count(end));
  if (length < end_len) raise("expected length >= {}, got {}", end_len, length);
  if (leeway < 0) raise("expected leeway >= 0, got {}", leeway);
  std::vector<size_t> offsets = code_point_offsets(s);
  int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  if (n <= length + leeway) return Value(std::move(s));
  std::string head = s.substr(0, offsets[static_cast<size_t>(length - end_len)]);
  if (killwords) return Value(head + end);
  return Value(py_rsplit(head, std::string(" "), 1)[0] + end);
}

Value f_unique(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder a("unique", args, {"case_sensitive", "attribute"});
  AttrGetter key(a.get(1), !bool_arg(a.get(0)));
  ValueList out, seen;
  for (const Value& item : iterate(v)) {
    Value k = key(item);
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
    seen.push_back(std::move(k));
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs& args) {
  ArgBinder("wordcount", args, {});
  std::string s = v.str();
  int64_t words = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < s.size()) {
    bool w = py_isword(next_code_point(s, pos));
    if (w && !in_word) ++words;
    in_word = w;
  }
  return Value(words);
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

constexpr FilterEntry kFilters[] = {
    {"abs", f_abs},
    {"attr", f_attr},
    {"batch", f_batch},
    {"capitalize", f_capitalize},
    {"center", f_center},
    {"count", f_length},
    {"d", f_default},
    {"default", f_default},
    {"dictsort", f_dictsort},
    {"e", f_escape},
    {"escape", f_escape},
    {"forceescape", f_escape},
    {"first", f_first},
    {"float", f_float},
    {"format", f_format},
    {"indent", f_indent},
    {"int", f_int},
    {"items", f_items},
    {"join", f_join},
    {"last", f_last},
    {"length", f_length},
    {"list", f_list},
    {"lower", f_lower},
    {"map", f_map},
    {"max", f_max},
    {"min", f_min},
    {"reject", f_reject},
    {"rejectattr", f_rejectattr},
    {"replace", f_replace},
    {"reverse", f_reverse},
    {"round", f_round},
    {"safe", f_safe},
    {"select", f_select},
    {"selectattr", f_selectattr},
    {"slice", f_slice},
    {"sort", f_sort},
    {"string", f_string},
    {"sum", f_sum},
    {"title", f_title},
    {"tojson", f_tojson},
    {"trim", f_trim},
    {"truncate", f_truncate},
    {"unique", f_unique},
    {"upper", f_upper},
    {"wordcount", f_wordcount},
};

// Jinja2 filters Hearth does not implement.
constexpr std::string_view kUnsupportedFilters[] = {"filesizeformat", "groupby", "pprint",   "random", "striptags",
                                                    "urlencode",      "urlize",  "wordwrap", "xmlattr"};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const FilterEntry& e : kFilters)
    if (e.name == name) return e.fn;
  return nullptr;
}

BuiltinStatus filter_status(std::string_view name) {
  if (find_filter(name)) return BuiltinStatus::Supported;
  for (std::string_view u : kUnsupportedFilters)
    if (u == name) return BuiltinStatus::Unsupported;
  return BuiltinStatus::Unknown;
}

}  // namespace hearth::jinja
