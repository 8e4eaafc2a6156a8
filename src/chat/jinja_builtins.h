#pragma once
// Jinja's built-in filters, tests, global functions and the Python methods of str, dict and list.
// Names Jinja2 knows but Hearth does not implement are listed too, so that a template using one
// fails with "unsupported filter 'wordwrap'" (when it is reached) instead of a generic error.
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "chat/jinja_value.h"

namespace hearth::jinja {

enum class BuiltinStatus { Unknown, Supported, Unsupported };

using FilterFn = Value (*)(Interpreter&, const Value& subject, CallArgs& args);
using TestFn = bool (*)(Interpreter&, const Value& subject, CallArgs& args);

BuiltinStatus filter_status(std::string_view name);
BuiltinStatus test_status(std::string_view name);
// nullptr when the name is not a supported filter / test.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// The globals every render sees (range, dict, namespace, cycler, joiner, raise_exception,
// strftime_now); nullptr for other names.
const Value* find_global(std::string_view name);

// Attribute lookup on str, list, tuple and dict values: a bound method, or nullptr when `name` is
// not a method of that type. Methods that would mutate a list or dict yield a function that
// raises Jinja's sandbox error when called.
std::optional<Value> find_method(const Value& self, std::string_view name);

// Binds call arguments to named parameters the way Python does (positional first, then keywords),
// rejecting unknown keywords, duplicates and surplus positionals.
class ArgBinder {
 public:
  ArgBinder(std::string_view what, const CallArgs& args, std::initializer_list<std::string_view> params);
  // The argument bound to parameter `index`, or nullptr when it was not given.
  const Value* get(size_t index) const { return slots_[index]; }
  Value get_or(size_t index, Value fallback) const { return slots_[index] ? *slots_[index] : std::move(fallback); }

 private:
  std::vector<const Value*> slots_;
};

}  // namespace hearth::jinja
