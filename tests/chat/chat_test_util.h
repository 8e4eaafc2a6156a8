#pragma once
// Helpers for the chat template suites: render a template with a JSON context, capture errors.
// Expected strings in these suites were produced by real Jinja2 3.1 configured as transformers
// configures it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "chat/chat_template.h"

namespace hearth::test {

// 26 Nov 2026 13:05 (a Thursday), the date the reference renders use for strftime_now().
inline ChatRenderOptions fixed_now() {
  std::tm now{};
  now.tm_year = 2026 - 1900;
  now.tm_mon = 10;
  now.tm_mday = 26;
  now.tm_hour = 13;
  now.tm_min = 5;
  now.tm_wday = 4;
  now.tm_yday = 329;
  ChatRenderOptions options;
  options.now = now;
  return options;
}

inline std::string render(std::string_view source, std::string_view context_json = "{}") {
  return ChatTemplate(source).render(nlohmann::ordered_json::parse(context_json), fixed_now());
}

// The message of the ChatTemplateError that parsing or rendering raises ("" plus a test failure when
// it renders fine).
inline std::string render_error(std::string_view source, std::string_view context_json = "{}") {
  try {
    std::string out = render(source, context_json);
    ADD_FAILURE() << "expected an error, rendered: " << out;
  } catch (const ChatTemplateError& e) {
    return e.what();
  }
  return "";
}

// One table row: template, context (JSON), expected output.
struct RenderCase {
  const char* source;
  const char* context;
  const char* expected;
};

inline void expect_renders(const RenderCase& c) {
  try {
    EXPECT_EQ(render(c.source, c.context), c.expected) << "template: " << c.source;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "template: " << c.source << "\nthrew: " << e.what();
  }
}

}  // namespace hearth::test
