#include "chat/jinja_builtins.h"

#include <algorithm>

#include "chat/jinja_error.h"

namespace hearth::jinja {

ArgBinder::ArgBinder(std::string_view what, const CallArgs& args, std::initializer_list<std::string_view> params)
    : slots_(params.size(), nullptr) {
  if (args.positional.size() > params.size())
    raise("{} takes at most {} argument(s) ({} given)", what, params.size(), args.positional.size());
  for (size_t i = 0; i < args.positional.size(); ++i) slots_[i] = &args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    auto it = std::find(params.begin(), params.end(), key);
    if (it == params.end()) raise("{} got an unexpected keyword argument '{}'", what, key);
    size_t i = static_cast<size_t>(it - params.begin());
    if (slots_[i]) raise("{} got multiple values for argument '{}'", what, key);
    slots_[i] = &value;
  }
}

}  // namespace hearth::jinja
