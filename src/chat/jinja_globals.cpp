// Global functions: Jinja's range, dict, namespace, cycler, joiner, plus transformers'
// raise_exception and strftime_now.
#include <ctime>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_interpreter.h"
#include "chat/jinja_ops.h"

namespace hearth::jinja {
namespace {

// Jinja's sandbox refuses larger ranges.
constexpr int64_t kMaxRange = 100000;

Value g_range(Interpreter&, const Value&, CallArgs& args) {
  if (!args.keyword.empty()) raise("range() takes no keyword arguments");
  if (args.positional.empty() || args.positional.size() > 3)
    raise("range expected 1 to 3 arguments, got {}", args.positional.size());
  for (const Value& v : args.positional)
    if (!v.is_integral()) raise("'{}' object cannot be interpreted as an integer", v.type_name());
  int64_t start = 0, stop, step = 1;
  if (args.positional.size() == 1) {
    stop = args.positional[0].as_int();
  } else {
    start = args.positional[0].as_int();
    stop = args.positional[1].as_int();
    if (args.positional.size() == 3) step = args.positional[2].as_int();
  }
  if (step == 0) raise("range() arg 3 must not be zero");
  __int128 span = step > 0 ? (__int128{stop} - start + step - 1) / step : (__int128{start} - stop - step - 1) / -step;
  if (span > kMaxRange) raise("Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
  ValueList out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
  return Value::list(std::move(out));
}

// dict(mapping_or_pairs, **kwargs), also the body of namespace(...).
Dict build_dict(const CallArgs& args, std::string_view what) {
  if (args.positional.size() > 1)
    raise("{} expected at most 1 positional argument, got {}", what, args.positional.size());
  Dict d;
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is_dict()) {
      d = src.as_dict();
    } else {
      for (const Value& pair : iterate(src)) {
        ValueList kv = iterate(pair);
        if (kv.size() != 2) raise("{} update sequence element has length {}; 2 is required", what, kv.size());
        d.set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : args.keyword) d.set(Value(k), v);
  return d;
}

Value g_dict(Interpreter&, const Value&, CallArgs& args) { return Value::dict(build_dict(args, "dict")); }

Value g_namespace(Interpreter&, const Value&, CallArgs& args) {
  return Value::object(std::make_shared<Namespace>(build_dict(args, "namespace")));
}

Value g_raise_exception(Interpreter&, const Value&, CallArgs& args) {
  ArgBinder a("raise_exception", args, {"message"});
  throw RenderError(a.get(0) ? a.get(0)->str() : "", RenderError::Kind::Raised);
}

Value g_strftime_now(Interpreter& interp, const Value&, CallArgs& args) {
  ArgBinder a("strftime_now", args, {"format"});
  if (!a.get(0) || !a.get(0)->is_string()) raise("strftime_now needs a format string");
  // Python formats a naive datetime: %z and %Z are empty and %f is the microseconds.
  std::string format;
  const std::string& in = a.get(0)->as_string();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 1 < in.size()) {
      char c = in[i + 1];
      if (c == 'z' || c == 'Z') {
        ++i;
        continue;
      }
      if (c == 'f') {
        format += "000000";
        ++i;
        continue;
      }
      format += in[i];
      format += in[++i];
      continue;
    }
    format += in[i];
  }
  if (format.empty()) return Value("");
  std::string out(format.size() * 4 + 64, '\0');
  size_t n = std::strftime(out.data(), out.size(), format.c_str(), &interp.now());
  if (n == 0) raise("strftime_now: format {} produced no text or too much", Value(in).repr());
  out.resize(n);
  return Value(std::move(out));
}

// cycler(*items): .next() walks the items round-robin, .current peeks, .reset() restarts.
class Cycler : public Object, public std::enable_shared_from_this<Cycler> {
 public:
  explicit Cycler(ValueList items) : items_(std::move(items)) {}
  std::string type_name() const override { return "Cycler"; }
  Value get_attr(std::string_view name) const override {
    if (name == "current") return items_.empty() ? Value::none() : items_[pos_];
    if (name == "next") return method("next", &next);
    if (name == "reset") return method("reset", &reset);
    return Object::get_attr(name);
  }

 private:
  Value method(const char* name, BuiltinFunction::Fn fn) const {
    return Value::object(std::make_shared<BuiltinFunction>(
        name, fn, Value::object(std::const_pointer_cast<Cycler>(shared_from_this()))));
  }
  static Value next(Interpreter&, const Value& self, CallArgs&) {
    auto& c = static_cast<Cycler&>(self.as_object());
    if (c.items_.empty()) raise("cycler has no items");
    Value v = c.items_[c.pos_];
    c.pos_ = (c.pos_ + 1) % c.items_.size();
    return v;
  }
  static Value reset(Interpreter&, const Value& self, CallArgs&) {
    static_cast<Cycler&>(self.as_object()).pos_ = 0;
    return Value::none();
  }

  ValueList items_;
  size_t pos_ = 0;
};

Value g_cycler(Interpreter&, const Value&, CallArgs& args) {
  if (!args.keyword.empty()) raise("cycler() takes no keyword arguments");
  return Value::object(std::make_shared<Cycler>(args.positional));
}

// joiner(sep): returns "" the first time it is called, then sep.
class Joiner : public Object {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  std::string type_name() const override { return "Joiner"; }
  bool callable() const override { return true; }
  Value call(Interpreter&, CallArgs&) override {
    if (!used_) {
      used_ = true;
      return Value("");
    }
    return Value(sep_);
  }

 private:
  std::string sep_;
  bool used_ = false;
};

Value g_joiner(Interpreter&, const Value&, CallArgs& args) {
  ArgBinder a("joiner", args, {"sep"});
  return Value::object(std::make_shared<Joiner>(a.get(0) ? a.get(0)->str() : ", "));
}

Value g_lipsum(Interpreter&, const Value&, CallArgs&) { raise("unsupported function 'lipsum'"); }

struct GlobalEntry {
  const char* name;
  BuiltinFunction::Fn fn;
};

constexpr GlobalEntry kGlobals[] = {
    {"range", g_range},
    {"dict", g_dict},
    {"namespace", g_namespace},
    {"cycler", g_cycler},
    {"joiner", g_joiner},
    {"lipsum", g_lipsum},
    {"raise_exception", g_raise_exception},
    {"strftime_now", g_strftime_now},
};

}  // namespace

const Value* find_global(std::string_view name) {
  // Built once; the function objects are stateless, so renders on any thread may share them.
  static const std::vector<std::pair<std::string_view, Value>> table = [] {
    std::vector<std::pair<std::string_view, Value>> t;
    for (const GlobalEntry& g : kGlobals)
      t.emplace_back(g.name, Value::object(std::make_shared<BuiltinFunction>(g.name, g.fn)));
    return t;
  }();
  for (const auto& [n, v] : table)
    if (n == name) return &v;
  return nullptr;
}

}  // namespace hearth::jinja
