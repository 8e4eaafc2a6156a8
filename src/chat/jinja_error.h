#pragma once
// Errors raised inside the Jinja interpreter. A RenderError starts without a line number; the
// innermost template node that sees it passes by attaches its line, so messages point at the
// construct that failed. ChatTemplate turns it into a hearth::ChatTemplateError.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hearth::jinja {

class RenderError : public std::runtime_error {
 public:
  enum class Kind {
    Template,  // a problem with the template or its data ("'dict object' has no attribute 'x'")
    Raised,    // raise_exception(msg) called by the template: the message is the template's own
  };
  explicit RenderError(const std::string& message, Kind kind = Kind::Template, int line = 0)
      : std::runtime_error(message), kind_(kind), line_(line) {}
  Kind kind() const { return kind_; }
  int line() const { return line_; }
  void set_line_if_missing(int line) {
    if (line_ == 0) line_ = line;
  }

 private:
  Kind kind_;
  int line_;
};

// Throws RenderError with a formatted message.
template <typename... Args>
[[noreturn]] void raise(fmt::format_string<Args...> format, Args&&... args) {
  throw RenderError(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace hearth::jinja
