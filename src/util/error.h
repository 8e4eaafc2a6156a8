#pragma once
// Errors: Hearth reports bad input (files, prompts, requests) by throwing hearth::Error with a
// one-line, user-facing message. Hot paths never throw; they are fed only validated data.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hearth {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Formats and throws hearth::Error: fail("tensor {} has {} dims", name, n).
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Throws when `condition` is false. For input validation, not for internal invariants (use assert).
template <typename... Args>
void require(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (!condition) fail(format, std::forward<Args>(args)...);
}

// Prefixes an error's message with context ("loading model.gguf: ...") and rethrows.
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace hearth
