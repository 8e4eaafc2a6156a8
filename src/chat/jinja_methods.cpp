// Python methods of str, list, tuple and dict values that the sandbox lets templates call
// (`content.split('</think>')`, `message.get('x')`). Mutating methods are refused, as in transformers'
// ImmutableSandboxedEnvironment.
#include <algorithm>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_format.h"
#include "chat/jinja_ops.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

using Fn = BuiltinFunction::Fn;

std::optional<int64_t> opt_int(const Value* v, std::string_view what) {
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_integral()) raise("{} must be an integer or None, not {}", what, v->type_name());
  return v->as_int();
}

const std::string& str_arg(const Value* v, std::string_view method) {
  if (!v) raise("{}() missing a required argument", method);
  if (!v->is_string()) raise("{}() argument must be str, not {}", method, v->type_name());
  return v->as_string();
}

std::optional<std::string> opt_str(const Value* v, std::string_view method) {
  if (!v || v->is_none()) return std::nullopt;
  return str_arg(v, method);
}

Value string_list(const std::vector<std::string>& parts) {
  ValueList out;
  out.reserve(parts.size());
  for (const std::string& p : parts) out.emplace_back(p);
  return Value::list(std::move(out));
}

const std::string& self_str(const Value& self) { return self.as_string(); }

// ---- str ---------------------------------------------------------------------------------------

Value s_strip_impl(const Value& self, CallArgs& args, bool left, bool right, const char* name) {
  ArgBinder a(name, args, {"chars"});
  std::optional<std::string> chars = opt_str(a.get(0), name);
  return Value(py_strip(self_str(self), chars ? &*chars : nullptr, left, right));
}
Value s_strip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_impl(s, a, true, true, "strip"); }
Value s_lstrip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_impl(s, a, true, false, "lstrip"); }
Value s_rstrip(Interpreter&, const Value& s, CallArgs& a) { return s_strip_impl(s, a, false, true, "rstrip"); }

Value s_split(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("split", args, {"sep", "maxsplit"});
  return string_list(py_split(self_str(s), opt_str(a.get(0), "split"), opt_int(a.get(1), "maxsplit").value_or(-1)));
}

Value s_rsplit(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("rsplit", args, {"sep", "maxsplit"});
  return string_list(py_rsplit(self_str(s), opt_str(a.get(0), "rsplit"), opt_int(a.get(1), "maxsplit").value_or(-1)));
}

Value s_splitlines(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("splitlines", args, {"keepends"});
  return string_list(py_splitlines(self_str(s), a.get(0) && a.get(0)->truthy()));
}

// startswith / endswith: a prefix or a tuple of prefixes, optional [start, end).
Value affix_test(const Value& s, CallArgs& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  ArgBinder a(name, args, {"prefix", "start", "end"});
  if (!a.get(0)) raise("{}() takes at least 1 argument (0 given)", name);
  ByteRange r = py_byte_range(self_str(s), opt_int(a.get(1), "start"), opt_int(a.get(2), "end"));
  if (!r.valid) return Value(false);
  std::string_view text = std::string_view(self_str(s)).substr(r.begin, r.end - r.begin);
  ValueList candidates = a.get(0)->is_tuple() ? a.get(0)->as_list() : ValueList{*a.get(0)};
  for (const Value& c : candidates) {
    if (!c.is_string()) raise("{} first arg must be str or a tuple of str, not {}", name, c.type_name());
    const std::string& affix = c.as_string();
    if (affix.size() > text.size()) continue;
    if (prefix ? text.substr(0, affix.size()) == affix : text.substr(text.size() - affix.size()) == affix)
      return Value(true);
  }
  return Value(false);
}
Value s_startswith(Interpreter&, const Value& s, CallArgs& a) { return affix_test(s, a, true); }
Value s_endswith(Interpreter&, const Value& s, CallArgs& a) { return affix_test(s, a, false); }

// find / rfind / index / rindex / count over an optional [start, end).
Value search(const Value& s, CallArgs& args, const char* name, bool reverse, bool raise_missing) {
  ArgBinder a(name, args, {"sub", "start", "end"});
  const std::string& sub = str_arg(a.get(0), name);
  const std::string& text = self_str(s);
  ByteRange r = py_byte_range(text, opt_int(a.get(1), "start"), opt_int(a.get(2), "end"));
  size_t hit = std::string::npos;
  if (r.valid && sub.size() <= r.end - r.begin) {
    std::string_view window = std::string_view(text).substr(r.begin, r.end - r.begin);
    hit = reverse ? window.rfind(sub) : window.find(sub);
  }
  if (hit == std::string::npos) {
    if (raise_missing) raise("substring not found");
    return Value(-1);
  }
  return Value(py_code_point_index(text, r.begin + hit));
}
Value s_find(Interpreter&, const Value& s, CallArgs& a) { return search(s, a, "find", false, false); }
Value s_rfind(Interpreter&, const Value& s, CallArgs& a) { return search(s, a, "rfind", true, false); }
Value s_index(Interpreter&, const Value& s, CallArgs& a) { return search(s, a, "index", false, true); }
Value s_rindex(Interpreter&, const Value& s, CallArgs& a) { return search(s, a, "rindex", true, true); }

Value s_count(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("count", args, {"sub", "start", "end"});
  const std::string& sub = str_arg(a.get(0), "count");
  const std::string& text = self_str(s);
  ByteRange r = py_byte_range(text, opt_int(a.get(1), "start"), opt_int(a.get(2), "end"));
  if (!r.valid) return Value(0);
  std::string_view window = std::string_view(text).substr(r.begin, r.end - r.begin);
  if (sub.empty()) return Value(static_cast<int64_t>(code_point_count(window)) + 1);
  int64_t n = 0;
  for (size_t pos = window.find(sub); pos != std::string_view::npos; pos = window.find(sub, pos + sub.size())) ++n;
  return Value(n);
}

Value s_replace(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("replace", args, {"old", "new", "count"});
  return Value(py_replace(self_str(s), str_arg(a.get(0), "replace"), str_arg(a.get(1), "replace"),
                          opt_int(a.get(2), "count").value_or(-1)));
}

Value s_join(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("join", args, {"iterable"});
  if (!a.get(0)) raise("join() takes exactly one argument (0 given)");
  std::string out;
  size_t i = 0;
  for (const Value& item : iterate(*a.get(0))) {
    if (!item.is_string()) raise("sequence item {}: expected str instance, {} found", i, item.type_name());
    if (i++) out += self_str(s);
    out += item.as_string();
  }
  return Value(std::move(out));
}

template <std::string (*F)(std::string_view)>
Value s_case(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder("str method", args, {});
  return Value(F(self_str(s)));
}

Value pad_method(const Value& s, CallArgs& args, const char* name, char align) {
  ArgBinder a(name, args, {"width", "fillchar"});
  if (!a.get(0) || !a.get(0)->is_integral()) raise("{}() needs an integer width", name);
  char32_t fill = ' ';
  if (a.get(1)) {
    const std::string& f = str_arg(a.get(1), name);
    if (code_point_count(f) != 1) raise("The fill character must be exactly one character long");
    size_t p = 0;
    fill = next_code_point(f, p);
  }
  return Value(py_pad(self_str(s), a.get(0)->as_int(), fill, align));
}
Value s_center(Interpreter&, const Value& s, CallArgs& a) { return pad_method(s, a, "center", '^'); }
Value s_ljust(Interpreter&, const Value& s, CallArgs& a) { return pad_method(s, a, "ljust", '<'); }
Value s_rjust(Interpreter&, const Value& s, CallArgs& a) { return pad_method(s, a, "rjust", '>'); }

Value s_zfill(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder a("zfill", args, {"width"});
  if (!a.get(0) || !a.get(0)->is_integral()) raise("zfill() needs an integer width");
  return Value(py_zfill(self_str(s), a.get(0)->as_int()));
}

Value affix_remove(const Value& s, CallArgs& args, bool prefix) {
  const char* name = prefix ? "removeprefix" : "removesuffix";
  ArgBinder a(name, args, {"affix"});
  const std::string& affix = str_arg(a.get(0), name);
  const std::string& text = self_str(s);
  if (affix.size() <= text.size()) {
    if (prefix && text.compare(0, affix.size(), affix) == 0) return Value(text.substr(affix.size()));
    if (!prefix && text.compare(text.size() - affix.size(), affix.size(), affix) == 0)
      return Value(text.substr(0, text.size() - affix.size()));
  }
  return s;
}
Value s_removeprefix(Interpreter&, const Value& s, CallArgs& a) { return affix_remove(s, a, true); }
Value s_removesuffix(Interpreter&, const Value& s, CallArgs& a) { return affix_remove(s, a, false); }

Value partition_impl(const Value& s, CallArgs& args, bool reverse) {
  const char* name = reverse ? "rpartition" : "partition";
  ArgBinder a(name, args, {"sep"});
  const std::string& sep = str_arg(a.get(0), name);
  if (sep.empty()) raise("empty separator");
  const std::string& text = self_str(s);
  size_t hit = reverse ? text.rfind(sep) : text.find(sep);
  if (hit == std::string::npos)
    return reverse ? Value::tuple({Value(""), Value(""), s}) : Value::tuple({s, Value(""), Value("")});
  return Value::tuple({Value(text.substr(0, hit)), Value(sep), Value(text.substr(hit + sep.size()))});
}
Value s_partition(Interpreter&, const Value& s, CallArgs& a) { return partition_impl(s, a, false); }
Value s_rpartition(Interpreter&, const Value& s, CallArgs& a) { return partition_impl(s, a, true); }

// str.isalpha() and friends: non-empty and every character passes.
template <bool (*Pred)(char32_t)>
Value s_all_chars(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder("str method", args, {});
  const std::string& text = self_str(s);
  if (text.empty()) return Value(false);
  size_t pos = 0;
  while (pos < text.size())
    if (!Pred(next_code_point(text, pos))) return Value(false);
  return Value(true);
}

Value s_isascii(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder("isascii", args, {});
  for (unsigned char c : self_str(s))
    if (c >= 0x80) return Value(false);
  return Value(true);
}

Value s_isprintable(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder("isprintable", args, {});
  const std::string& text = self_str(s);
  size_t pos = 0;
  while (pos < text.size())
    if (!py_isprintable(next_code_point(text, pos))) return Value(false);
  return Value(true);
}

Value case_predicate(const Value& s, bool upper) {
  const std::string& text = self_str(s);
  bool cased = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = next_code_point(text, pos);
    if (upper ? py_is_cased_lower(cp) : py_is_cased_upper(cp)) return Value(false);
    cased = cased || py_is_cased(cp);
  }
  return Value(cased);
}
Value s_isupper(Interpreter&, const Value& s, CallArgs& a) {
  ArgBinder("isupper", a, {});
  return case_predicate(s, true);
}

Value s_islower(Interpreter&, const Value& s, CallArgs& a) {
  ArgBinder("islower", a, {});
  return case_predicate(s, false);
}

Value s_istitle(Interpreter&, const Value& s, CallArgs& args) {
  ArgBinder("istitle", args, {});
  const std::string& text = self_str(s);
  bool previous_cased = false, any = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = next_code_point(text, pos);
    if (py_is_cased_upper(cp)) {
      if (previous_cased) return Value(false);
      previous_cased = any = true;
    } else if (py_is_cased_lower(cp)) {
      if (!previous_cased) return Value(false);
      previous_cased = any = true;
    } else {
      previous_cased = false;
    }
  }
  return Value(any);
}

// str.format with Python's field syntax: {}, {0}, {name}, {0.attr}, {0[key]}, !r/!s, :spec.
Value s_format(Interpreter&, const Value& s, CallArgs& args) {
  const std::string& fmt_text = self_str(s);
  std::string out;
  size_t auto_index = 0;
  bool used_auto = false, used_manual = false;
  for (size_t i = 0; i < fmt_text.size(); ++i) {
    char c = fmt_text[i];
    if (c == '}') {
      if (i + 1 < fmt_text.size() && fmt_text[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      raise("Single '}}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt_text.size() && fmt_text[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt_text.find('}', i);
    if (close == std::string::npos) raise("Single '{{' encountered in format string");
    std::string field = fmt_text.substr(i + 1, close - i - 1);
    if (field.find('{') != std::string::npos) raise("nested replacement fields in format strings are not supported");
    i = close;
    std::string spec, conversion;
    if (size_t colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    if (size_t bang = field.find('!'); bang != std::string::npos) {
      conversion = field.substr(bang + 1);
      field.resize(bang);
    }
    size_t name_end = field.find_first_of(".[");
    std::string head = field.substr(0, name_end);
    Value value;
    if (head.empty()) {
      if (used_manual) raise("cannot switch from manual field specification to automatic field numbering");
      used_auto = true;
      if (auto_index >= args.positional.size())
        raise("Replacement index {} out of range for positional args tuple", auto_index);
      value = args.positional[auto_index++];
    } else if (std::all_of(head.begin(), head.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      if (used_auto) raise("cannot switch from automatic field numbering to manual field specification");
      used_manual = true;
      size_t index = std::stoul(head);
      if (index >= args.positional.size()) raise("Replacement index {} out of range for positional args tuple", index);
      value = args.positional[index];
    } else {
      const Value* kw = args.find_keyword(head);
      if (!kw) raise("KeyError: '{}'", head);
      value = *kw;
    }
    // Attribute and index accessors after the name.
    size_t p = name_end == std::string::npos ? field.size() : name_end;
    while (p < field.size()) {
      if (field[p] == '.') {
        size_t e = field.find_first_of(".[", p + 1);
        if (e == std::string::npos) e = field.size();
        value = get_attr(value, field.substr(p + 1, e - p - 1));
        p = e;
      } else {
        size_t e = field.find(']', p);
        if (e == std::string::npos) raise("Missing ']' in format string");
        std::string key = field.substr(p + 1, e - p - 1);
        bool digits =
            !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        value = get_item(value, digits ? Value(static_cast<int64_t>(std::stoll(key))) : Value(key));
        p = e + 1;
      }
      require_defined(value);
    }
    if (conversion == "r" || conversion == "a") {
      value = Value(value.repr());
    } else if (conversion == "s") {
      value = Value(value.str());
    } else if (!conversion.empty()) {
      raise("Unknown conversion specifier {}", conversion);
    }
    out += py_format_spec(value, spec);
  }
  return Value(std::move(out));
}

// Marks Python methods Hearth does not implement; looking one up yields a value that fails when used.
Value unsupported_method(Interpreter&, const Value&, CallArgs&) { raise("unsupported method"); }

// ---- dict --------------------------------------------------------------------------------------

Value d_items(Interpreter&, const Value& d, CallArgs& args) {
  ArgBinder("items", args, {});
  ValueList out;
  for (const auto& [k, v] : d.as_dict().entries()) out.push_back(Value::tuple({k, v}));
  return Value::list(std::move(out));
}

Value d_keys(Interpreter&, const Value& d, CallArgs& args) {
  ArgBinder("keys", args, {});
  return Value::list(iterate(d));
}

Value d_values(Interpreter&, const Value& d, CallArgs& args) {
  ArgBinder("values", args, {});
  ValueList out;
  for (const auto& [k, v] : d.as_dict().entries()) out.push_back(v);
  return Value::list(std::move(out));
}

Value d_get(Interpreter&, const Value& d, CallArgs& args) {
  ArgBinder a("get", args, {"key", "default"});
  if (!a.get(0)) raise("get expected at least 1 argument, got 0");
  if (const Value* v = d.as_dict().find(*a.get(0))) return *v;
  return a.get_or(1, Value::none());
}

Value copy_self(Interpreter&, const Value& self, CallArgs& args) {
  ArgBinder("copy", args, {});
  return self;
}

// ---- list / tuple ------------------------------------------------------------------------------

Value l_index(Interpreter&, const Value& l, CallArgs& args) {
  ArgBinder a("index", args, {"value", "start", "stop"});
  if (!a.get(0)) raise("index expected at least 1 argument, got 0");
  const ValueList& items = l.as_list();
  int64_t n = static_cast<int64_t>(items.size());
  auto clamp = [n](int64_t i) { return i < 0 ? std::max<int64_t>(i + n, 0) : std::min(i, n); };
  int64_t start = clamp(opt_int(a.get(1), "start").value_or(0));
  int64_t stop = clamp(opt_int(a.get(2), "stop").value_or(n));
  for (int64_t i = start; i < stop; ++i)
    if (items[static_cast<size_t>(i)] == *a.get(0)) return Value(i);
  raise("{} is not in {}", a.get(0)->repr(), l.type_name());
}

Value l_count(Interpreter&, const Value& l, CallArgs& args) {
  ArgBinder a("count", args, {"value"});
  if (!a.get(0)) raise("count() takes exactly one argument (0 given)");
  return Value(static_cast<int64_t>(std::count(l.as_list().begin(), l.as_list().end(), *a.get(0))));
}

struct MethodEntry {
  std::string_view name;
  Fn fn;
};

constexpr MethodEntry kStrMethods[] = {
    {"capitalize", s_case<py_capitalize>},
    {"casefold", s_case<py_lower>},
    {"center", s_center},
    {"count", s_count},
    {"endswith", s_endswith},
    {"find", s_find},
    {"format", s_format},
    {"index", s_index},
    {"isalnum", s_all_chars<py_isalnum>},
    {"isalpha", s_all_chars<py_isalpha>},
    {"isascii", s_isascii},
    {"isdecimal", s_all_chars<py_isdigit>},
    {"isdigit", s_all_chars<py_isdigit>},
    {"islower", s_islower},
    {"isnumeric", s_all_chars<py_isdigit>},
    {"isprintable", s_isprintable},
    {"isspace", s_all_chars<py_isspace>},
    {"istitle", s_istitle},
    {"isupper", s_isupper},
    {"join", s_join},
    {"ljust", s_ljust},
    {"lower", s_case<py_lower>},
    {"lstrip", s_lstrip},
    {"partition", s_partition},
    {"removeprefix", s_removeprefix},
    {"removesuffix", s_removesuffix},
    {"replace", s_replace},
    {"rfind", s_rfind},
    {"rindex", s_rindex},
    {"rjust", s_rjust},
    {"rpartition", s_rpartition},
    {"rsplit", s_rsplit},
    {"rstrip", s_rstrip},
    {"split", s_split},
    {"splitlines", s_splitlines},
    {"startswith", s_startswith},
    {"strip", s_strip},
    {"swapcase", s_case<py_swapcase>},
    {"title", s_case<py_title>},
    {"upper", s_case<py_upper>},
    {"zfill", s_zfill},
    // Python has these, Hearth does not implement them.
    {"encode", unsupported_method},
    {"expandtabs", unsupported_method},
    {"format_map", unsupported_method},
    {"isidentifier", unsupported_method},
    {"maketrans", unsupported_method},
    {"translate", unsupported_method},
};

constexpr MethodEntry kDictMethods[] = {
    {"items", d_items}, {"keys", d_keys},    {"values", d_values},
    {"get", d_get},     {"copy", copy_self}, {"fromkeys", unsupported_method},
};
constexpr std::string_view kDictMutators[] = {"clear", "pop", "popitem", "setdefault", "update"};

constexpr MethodEntry kListMethods[] = {{"index", l_index}, {"count", l_count}, {"copy", copy_self}};
constexpr MethodEntry kTupleMethods[] = {{"index", l_index}, {"count", l_count}};
constexpr std::string_view kListMutators[] = {"append", "clear",  "extend",  "insert",
                                              "pop",    "remove", "reverse", "sort"};

template <size_t N>
std::optional<Value> bind(const MethodEntry (&table)[N], const Value& self, std::string_view name) {
  for (const MethodEntry& e : table) {
    if (e.name != name) continue;
    if (e.fn == unsupported_method)
      return Value::undefined(fmt::format("unsupported {} method '{}'", self.type_name(), name));
    return Value::object(std::make_shared<BuiltinFunction>(std::string(name), e.fn, self));
  }
  return std::nullopt;
}

template <size_t N>
std::optional<Value> refuse_mutator(const std::string_view (&names)[N], const Value& self, std::string_view name) {
  for (std::string_view m : names)
    if (m == name)
      return Value::undefined(
          fmt::format("access to attribute '{}' of '{}' object is unsafe.", name, self.type_name()));
  return std::nullopt;
}

}  // namespace

std::optional<Value> find_method(const Value& self, std::string_view name) {
  switch (self.kind()) {
    case Value::Kind::String:
      return bind(kStrMethods, self, name);
    case Value::Kind::Dict:
      if (auto m = bind(kDictMethods, self, name)) return m;
      return refuse_mutator(kDictMutators, self, name);
    case Value::Kind::List:
      if (auto m = bind(kListMethods, self, name)) return m;
      return refuse_mutator(kListMutators, self, name);
    case Value::Kind::Tuple:
      return bind(kTupleMethods, self, name);
    default:
      return std::nullopt;
  }
}

}  // namespace hearth::jinja
