// Failures: syntax errors and unsupported constructs name the template line; runtime errors carry
// Python's / Jinja2's messages; raise_exception() gives exactly the template's message; limits keep a
// hostile template from exhausting memory or the stack.
#include <gtest/gtest.h>

#include "chat_test_util.h"

namespace hearth {
namespace {

using test::render_error;

struct ErrorCase {
  const char* source;
  const char* context;
  const char* message;
};

void expect_errors(std::initializer_list<ErrorCase> cases) {
  for (const auto& c : cases) EXPECT_EQ(render_error(c.source, c.context), c.message) << "template: " << c.source;
}

TEST(JinjaErrors, SyntaxErrorsNameTheLine) {
  expect_errors({
      {"{% foo %}", "{}", "chat template line 1: unknown tag 'foo'"},
      {"line 1\n{% if x %}abc", "{}",
       "chat template line 2: unexpected end of template: the 'if' block opened on line 2 needs '{% elif %}' or "
       "'{% else %}' or '{% endif %}'"},
      {"{% endif %}", "{}", "chat template line 1: unexpected '{% endif %}' with no open block"},
      {"{% for x in y %}\n{% endif %}{% endfor %}", "{}",
       "chat template line 2: unexpected '{% endif %}' inside the 'for' block opened on line 1"},
      {"{% for x in y %}{% break %}{% endfor %}\n\n{% break %}", "{}", "chat template line 3: 'break' outside a loop"},
      {"{{ 'unterminated }}", "{}", "chat template line 1: unterminated string literal"},
      {"a\n{{ x", "{}", "chat template line 2: unexpected end of template: missing '}}' to close the tag opened here"},
      {"{% if %}{% endif %}", "{}", "chat template line 1: expected an expression, found '%}'"},
      {"{{ 1 + }}", "{}", "chat template line 1: unexpected '}}'"},
      {"{{ (1 }}", "{}", "chat template line 1: unexpected '}', expected ')'"},
      {"{{ a b }}", "{}", "chat template line 1: expected '}}', found 'b'"},
      {"{% for x y %}{% endfor %}", "{}", "chat template line 1: expected 'in', found 'y'"},
      {"{{ 1 @ 2 }}", "{}", "chat template line 1: unexpected character '@'"},
      {"\n\n{# unclosed", "{}", "chat template line 3: missing '#}' at the end of a comment"},
      {"{% raw %} unclosed", "{}", "chat template line 1: missing '{% endraw %}' for the raw block"},
      {"{% set true = 1 %}", "{}",
       "chat template line 1: cannot assign to this expression (expected a name or a tuple of names)"},
      {"{% macro m(a=1, b) %}{% endmacro %}", "{}",
       "chat template line 1: non-default argument follows default argument"},
      {"{{ x | nosuch }}", "{}", "chat template line 1: unknown filter 'nosuch'"},
      {"{{ x is nosuch }}", "{}", "chat template line 1: unknown test 'nosuch'"},
  });
}

TEST(JinjaErrors, UnsupportedConstructsNameTheLineAndConstruct) {
  expect_errors({
      {"ok\n{% include 'x' %}", "{}", "chat template line 2: unsupported tag 'include'"},
      {"{% extends 'base' %}", "{}", "chat template line 1: unsupported tag 'extends'"},
      {"{% do x %}", "{}", "chat template line 1: unsupported tag 'do'"},
      {"a\nb\n{{ 'x'|wordwrap(5) }}", "{}", "chat template line 3: unsupported filter 'wordwrap'"},
      {"{{ lipsum() }}", "{}", "chat template line 1: unsupported function 'lipsum'"},
      {"{{ 'a'.encode('utf-8') }}", "{}", "chat template line 1: unsupported str method 'encode'"},
  });
  // A Jinja filter Hearth lacks only fails when the template reaches it.
  EXPECT_EQ(test::render("{% if false %}{{ x|wordwrap }}{% endif %}ok"), "ok");
}

TEST(JinjaErrors, UnknownFiltersInsideConditionsFailOnlyWhenReached) {
  // As in Jinja 3.1: a guarded unknown filter or test is a runtime error, an unguarded one a syntax error.
  EXPECT_EQ(test::render("{% if false %}{{ x|nosuch }}{% endif %}ok"), "ok");
  EXPECT_EQ(test::render("{{ x|nosuch if false else 1 }}"), "1");
  expect_errors({
      {"{% if true %}\n{{ x|nosuch }}{% endif %}", "{}", "chat template line 2: unknown filter 'nosuch'"},
      {"{% if x is nosuchtest %}{% endif %}", "{}", "chat template line 1: unknown test 'nosuchtest'"},
      {"{% for i in [] %}{{ x|nosuch }}{% endfor %}", "{}", "chat template line 1: unknown filter 'nosuch'"},
  });
}

TEST(JinjaErrors, RuntimeErrorsCarryPythonMessages) {
  expect_errors({
      {"{{ foo.bar }}", "{}", "chat template line 1: 'foo' is undefined"},
      {"{{ d.x.y }}", R"({"d": {}})", "chat template line 1: 'dict object' has no attribute 'x'"},
      {"{{ u + 1 }}", "{}", "chat template line 1: 'u' is undefined"},
      {"{{ u|tojson }}", "{}", "chat template line 1: Object of type Undefined is not JSON serializable"},
      {"{{ l[5].x }}", R"({"l": [1]})", "chat template line 1: list object has no element 5"},
      {"{{ x.foo() }}", R"({"x": "abc"})", "chat template line 1: 'str object' has no attribute 'foo'"},
      {"{{ 'a' + none }}", "{}", "chat template line 1: can only concatenate str (not \"NoneType\") to str"},
      {"{{ '</think>' in none }}", "{}", "chat template line 1: argument of type 'NoneType' is not iterable"},
      {"{{ 1 + 'a' }}", "{}", "chat template line 1: unsupported operand type(s) for +: 'int' and 'str'"},
      {"{{ 'a' < 1 }}", "{}", "chat template line 1: '<' not supported between instances of 'str' and 'int'"},
      {"{{ 1 in 'abc' }}", "{}", "chat template line 1: 'in <string>' requires string as left operand, not int"},
      {"{{ 1 // 0 }}", "{}", "chat template line 1: integer division or modulo by zero"},
      {"{{ 1.0 / 0 }}", "{}", "chat template line 1: float division by zero"},
      {"{% for a, b in [[1,2],[3]] %}{% endfor %}", "{}",
       "chat template line 1: not enough values to unpack (expected 2, got 1)"},
      {"{% for x in none %}{% endfor %}", "{}", "chat template line 1: 'NoneType' object is not iterable"},
      {"{% set x = 1 %}{% set x.y = 2 %}", "{}",
       "chat template line 1: cannot assign attribute on non-namespace object"},
      {"{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "{}",
       "chat template line 1: macro 'm' takes not more than 1 argument(s)"},
      {"{% macro m(a) %}{% endmacro %}{{ m(1, x=2) }}", "{}",
       "chat template line 1: macro 'm' takes no keyword argument 'x'"},
      {"{{ 'abc'.index('z') }}", "{}", "chat template line 1: substring not found"},
      {"{{ ' '.join([1,2]) }}", "{}", "chat template line 1: sequence item 0: expected str instance, int found"},
      {"{{ 'abc'() }}", "{}", "chat template line 1: 'str' object is not callable"},
      {"{{ [1,2,3][1:2:0] }}", "{}", "chat template line 1: slice step cannot be zero"},
      {"{{ x[1:] }}", R"({"x": 5})", "chat template line 1: 'int' object is not subscriptable"},
      {"{{ 'abc' % 'x' }}", "{}", "chat template line 1: not all arguments converted during string formatting"},
      {"{{ 1e3 ** 1e3 }}", "{}", "chat template line 1: (34, 'Numerical result out of range')"},
      {"{{ [1] in {} }}", "{}", "chat template line 1: unhashable type: 'list'"},
      // The sandbox is immutable: no mutating methods, no dunder attributes.
      {"{{ x.append(1) }}", R"({"x": []})",
       "chat template line 1: access to attribute 'append' of 'list' object is unsafe."},
      {"{{ d.pop('a') }}", R"({"d": {"a": 1}})",
       "chat template line 1: access to attribute 'pop' of 'dict' object is unsafe."},
      {"{{ x.__class__.__mro__ }}", R"({"x": 1})", "chat template line 1: access to attribute '__class__' is unsafe"},
  });
}

TEST(JinjaErrors, LineNumbersPointAtTheFailingConstruct) {
  const std::string source =
      "{%- for m in messages %}\n"
      "  {{- m.role }}\n"
      "  {%- if m.role == 'assistant' %}\n"
      "    {{- m.content.strip() }}\n"
      "  {%- endif %}\n"
      "{%- endfor %}";
  EXPECT_EQ(render_error(source, R"({"messages": [{"role": "user"}, {"role": "assistant"}]})"),
            "chat template line 4: 'dict object' has no attribute 'content'");
  EXPECT_EQ(render_error("{{ 'a' }}\r\n{{ 'b' }}\r\n{{ u() }}"), "chat template line 3: 'u' is undefined");
}

TEST(JinjaErrors, RaiseExceptionGivesExactlyTheMessage) {
  try {
    test::render("before {{ raise_exception('Conversation roles must alternate: ' ~ 2) }}");
    FAIL() << "expected raise_exception to throw";
  } catch (const ChatTemplateError& e) {
    EXPECT_EQ(std::string(e.what()), "Conversation roles must alternate: 2");
    EXPECT_TRUE(e.raised_by_template());
    EXPECT_EQ(e.line(), 1);
  }
  try {
    test::render("{{ u + 1 }}");
    FAIL();
  } catch (const ChatTemplateError& e) {
    EXPECT_FALSE(e.raised_by_template());
    EXPECT_EQ(e.line(), 1);
  }
}

TEST(JinjaErrors, LimitsStopRunawayTemplates) {
  expect_errors({
      {"{{ range(200000)|length }}", "{}",
       "chat template line 1: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
      {"{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", "{}",
       "chat template line 1: macro calls or recursive loops nested too deeply (more than 100 levels)"},
      {"{{ 'ab' * 99999999999 }}", "{}", "chat template line 1: repetition result too large (99999999999 copies)"},
      {"{{ 9223372036854775807 + 1 }}", "{}",
       "chat template line 1: integer overflow: the result does not fit in 64 bits"},
  });
  // Nested loops stop at the step budget (small here to keep the test fast).
  ChatRenderOptions options = test::fixed_now();
  options.max_steps = 10000;
  ChatTemplate nested("{% for i in range(1000) %}\n{% for j in range(1000) %}{% endfor %}{% endfor %}");
  try {
    nested.render(nlohmann::ordered_json::object(), options);
    ADD_FAILURE() << "expected the step budget to stop the render";
  } catch (const ChatTemplateError& e) {
    EXPECT_EQ(std::string(e.what()),
              "chat template line 2: template exceeded 10000 loop iterations and macro calls (a runaway template?)");
  }
  options.max_steps = 1001 + 1000 * 1000;
  EXPECT_EQ(nested.render(nlohmann::ordered_json::object(), options), "");
  // Deeply nested expressions are refused at parse time instead of overflowing the stack.
  std::string deep(5000, '(');
  EXPECT_EQ(render_error("{{ " + deep + "1" + std::string(5000, ')') + " }}"),
            "chat template line 1: template nested too deeply");
  std::string nested_ifs;
  for (int i = 0; i < 5000; ++i) nested_ifs += "{% if true %}";
  EXPECT_EQ(render_error(nested_ifs), "chat template line 1: template nested too deeply");
}

TEST(JinjaErrors, ContextMustBeAnObject) {
  ChatTemplate tpl("x");
  EXPECT_THROW(tpl.render(nlohmann::ordered_json::array()), ChatTemplateError);
  EXPECT_EQ(tpl.render(nlohmann::ordered_json::object()), "x");
}

}  // namespace
}  // namespace hearth
