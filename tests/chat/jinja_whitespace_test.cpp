// Whitespace handling as transformers configures Jinja2: trim_blocks, lstrip_blocks, the - and +
// markers, comments, {% raw %}, newline normalisation and the dropped final newline.
#include <gtest/gtest.h>

#include "chat_test_util.h"

namespace hearth {
namespace {

using test::RenderCase;

TEST(JinjaWhitespace, TrimAndLstripBlocks) {
  const RenderCase cases[] = {
      // The newline after a block tag goes (trim_blocks); indentation before one goes (lstrip_blocks).
      {"a\n  {% if true %}\n  x\n  {% endif %}\n  {{ 'v' }}\n  {# c #}\nb", "{}", "a\n  x\n  v\nb"},
      {"{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}", "{}", "  1\n  2\n"},
      {"\t{% if true %}\n\tx\n\t{% endif %}", "{}", "\tx\n"},
      {"{% if true %}\na\n{% else %}\nb\n{% endif %}", "{}", "a\n"},
      // Not at the start of a line: nothing to strip; a variable tag is never lstripped.
      {"  {{ 'a' }}  {% if true %}x{% endif %}", "{}", "  a  x"},
      {"  {% if true %}  x  {% endif %}  ", "{}", "  x    "},
      {"line1\n    {% set x = 1 %}\nline2", "{}", "line1\nline2"},
      // A comment at the start of a line is stripped like a block.
      {" {# c #}\nx", "{}", "x"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaWhitespace, MinusAndPlusMarkers) {
  const RenderCase cases[] = {
      {"a {%- if true %} b {% endif -%} c", "{}", "a b c"},
      {"{%- if true -%}\n   x\n{%- endif -%}\n   y", "{}", "xy"},
      {"{%- for i in range(3) -%}\n  {{ i }}\n{%- endfor %}\nz", "{}", "012z"},
      {"  {{- 'a' -}}  \n  b", "{}", "ab"},
      {"{{ 1 -}}\n   {{- 2 }}", "{}", "12"},
      {"{% for i in [1,2] -%}\n  {{ i }}\n{% endfor %}", "{}", "1\n2\n"},
      {"{% for i in [1,2] %}\n  {{- i }}\n{%- endfor %}", "{}", "12"},
      {"    {%- set x = 1 -%}\n    {{ x }}", "{}", "1"},
      {"{%- set x = \"a\" -%}\n{{ x }}", "{}", "a"},
      // + keeps what lstrip_blocks / trim_blocks would remove.
      {"  {%+ if true %}x{% endif +%}\ny", "{}", "  x\ny"},
      {"a\n{% if true %}\n  b\n{%- endif %}\nc", "{}", "a\n  bc"},
      // A minus right before }} or %} is whitespace control, not subtraction.
      {"{{ x - 1 }}|{{ x -1 }}|{{ x- 1 }}|{{ x -}} |", R"({"x": 5})", "4|4|4|5|"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaWhitespace, CommentsAndRaw) {
  const RenderCase cases[] = {
      {"text   {# comment -#}\n  after", "{}", "text   after"},
      {"{#- c #}  x  {#- c -#}  y", "{}", "  xy"},
      {"a  {#- comment -#}  b", "{}", "ab"},
      {"a\n  {#- comment #}\nb", "{}", "ab"},
      {"{# multi\nline\ncomment #}x", "{}", "x"},
      {"{% raw %}\n  {{ x }}\n{% endraw %}\nafter", "{}", "\n  {{ x }}\nafter"},
      {"{% raw -%}\n  {{ x }}\n  {%- endraw %}\nafter", "{}", "{{ x }}after"},
      {"{% raw %}{% if %}{% endraw %}", "{}", "{% if %}"},
      {"{%raw%}a{%endraw%}", "{}", "a"},
      {"x  {%- raw %} {{ y }} {% endraw -%}  z", "{}", "x {{ y }} z"},
      {"x\n{%+ raw %}\n  y\n  {% endraw %}\nz", "{}", "x\n\n  y\nz"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaWhitespace, NewlinesAndFinalNewline) {
  const RenderCase cases[] = {
      // One trailing newline of the template is dropped (keep_trailing_newline=False), not two.
      {"{{ 'a' }}\n{{ 'b' }}\n", "{}", "a\nb"},
      {"{{ 'a' }}\n\n", "{}", "a\n"},
      // \r\n and \r in the template become \n.
      {"a\r\nb\rc", "{}", "a\nb\nc"},
      {"{% if true %}\r\nx\r\n{% endif %}\r\n", "{}", "x\n"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

}  // namespace
}  // namespace hearth
