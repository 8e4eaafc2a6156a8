// Statements: loops (loop variables, else, filters, unpacking, break/continue, recursion), scoping
// of set, namespace(), macros and call blocks, filter blocks, with, block.
#include <gtest/gtest.h>

#include "chat_test_util.h"

namespace hearth {
namespace {

using test::RenderCase;

TEST(JinjaStatements, ForLoops) {
  const RenderCase cases[] = {
      {"{% for x in [1,2,3,4] if x is even %}{{ loop.index }}/{{ loop.length }}/{{ loop.revindex }}{{ loop.last }} "
       "{% else %}none{% endfor %}",
       "{}", "1/2/2False 2/2/1True "},
      {"{% for x in 'ab' %}{{ loop.index0 }}{{ x }}{{ loop.first }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
       "{}", "0aTrueb;1bFalsea;"},
      {"{% for x in [1,2,3] %}{{ loop.cycle('a','b') }}{% endfor %}|{% for x in [1,1,2] %}{{ loop.changed(x) }}"
       "{% endfor %}",
       "{}", "aba|TrueFalseTrue"},
      {"{% for x in [1,2,3] %}{{ loop.revindex0 }}{{ loop.depth }}{% endfor %}", "{}", "211101"},
      {"{% for a in [] %}x{% else %}empty{{ a }}{% endfor %}", "{}", "empty"},
      {"{% for k, v in d.items() %}{{k}}={{v}};{% endfor %}|{% for k, v in d|items %}{{k}}={{v}};{% endfor %}"
       "|{% for k in d %}{{k}}{% endfor %}",
       R"({"d": {"b": 1, "a": 2}})", "b=1;a=2;|b=1;a=2;|ba"},
      {"{% for k, v in d|dictsort if v > 1 %}{{ k }}{{ loop.index }}{% endfor %}", R"({"d": {"z": 1, "a": 2, "c": 3}})",
       "a1c2"},
      {"{% for x in [1,2,3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}|{% for x in [1,2,3] %}"
       "{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
       "{}", "13|1"},
      {"{% set x = [1,2,3] %}{% for a in x %}{% for b in x %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} "
       "{% endfor %}{% endfor %}",
       "{}", "11 21 31 "},
      {"{% for a in [1,2] %}{% for b in [3] %}{{ loop.index }}{{ a }}{% endfor %}{{ loop.index }}{% endfor %}", "{}",
       "111122"},
      {"{% for x in [[1,[2]],[3,[]]] recursive %}({{ x[0] }}{{ loop.depth }}{{ loop(x[1]) if x[1] }}){% endfor %}",
       "{}", "(11(2))(31)"},
      {"{% for (a, b), c in [((1, 2), 3)] %}{{ a }}{{ b }}{{ c }}{% endfor %}", "{}", "123"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaStatements, SetScopingAndNamespace) {
  const RenderCase cases[] = {
      // A loop body is a new scope each iteration; the outer value shows through until shadowed.
      {"{% for i in [1,2] %}[{{ y }}]{% set y = i %}{% endfor %}[{{y}}]", "{}", "[][][]"},
      {"{% set y = 0 %}{% for i in [1,2] %}[{{ y }}]{% set y = i %}[{{y}}]{% endfor %}[{{y}}]", "{}",
       "[0][1][0][2][0]"},
      {"{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", "{}", "231"},
      // if blocks are not scopes.
      {"{% if true %}{% set z = 5 %}{% endif %}{{ z }}", "{}", "5"},
      {"{% set ns = namespace(a=1) %}{% for i in [1,2] %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}", "{}", "4"},
      {"{% set ns = namespace(items=[]) %}{% set ns.items = ns.items + [1] %}{% set ns.items = ns.items + [2] %}"
       "{{ ns.items }}",
       "{}", "[1, 2]"},
      {"{% set ns = namespace() %}{% set ns.x = 5 %}{{ ns.x }}{{ ns.y }}|{{ namespace({'a': 1}).a }}", "{}", "5|1"},
      {"{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{}", "12"},
      {"{% set x %}  hello {{ 1 }}\n{% endset %}[{{ x }}]", "{}", "[  hello 1\n]"},
      {"{% set x | upper %}abc{% endset %}{{ x }}", "{}", "ABC"},
      // Variables the template sets shadow the context (Llama 3.1 reassigns messages).
      {"{% set messages = messages[1:] %}{{ messages|length }}", R"({"messages": [1, 2, 3]})", "2"},
      {"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}", "{}", "3"},
      {"{% block body %}{% set inner = 1 %}in{% endblock %}{{ inner }}", "{}", "in"},
      // transformers' extension marking assistant text for training masks renders its body.
      {"{% generation %}kept{% endgeneration %}", "{}", "kept"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaStatements, Macros) {
  const RenderCase cases[] = {
      {"{% macro m(a, b='d') %}[{{a}}|{{b}}|{{ varargs }}|{{ kwargs }}]{% endmacro %}{{ m(1) }}{{ m(1, 2, 3, x=4) }}",
       "{}", "[1|d|()|{}][1|2|(3,)|{'x': 4}]"},
      {"{% macro m(a, b=a) %}{{ b }}{% endmacro %}{{ m(3) }}", "{}", "3"},
      {"{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}|{{ m(a=2) }}", "{}", "|2"},
      {"{% macro m(x) -%}\n  <{{ x }}>\n{%- endmacro %}\n{{- m(1) }}{{ m(2) }}", "{}", "<1><2>"},
      {"{% macro m() %}{{ varargs|length }}{% endmacro %}{{ m(1, 2) }}", "{}", "2"},
      {"{% macro m(a) %}[{{a}}{{ caller() }}]{% endmacro %}{% call m(1) %}body{% endcall %}", "{}", "[1body]"},
      {"{% macro m(a) %}[{% for x in a %}{{ caller(x) }}{% endfor %}]{% endmacro %}{% call(v) m([1,2]) %}<{{ v }}>"
       "{% endcall %}",
       "{}", "[<1><2>]"},
      // A macro sees template variables set before it is called, and recursion works.
      {"{% macro show() %}{{ x }}{% endmacro %}{% set x = 7 %}{{ show() }}", "{}", "7"},
      {"{% macro fact(n) %}{{ 1 if n <= 1 else n * fact(n - 1)|int }}{% endmacro %}{{ fact(5) }}", "{}", "120"},
      {"{% macro m(a, b) %}{% endmacro %}{{ m.name }}|{{ m.arguments }}", "{}", "m|('a', 'b')"},
      {"{% filter upper %}abc{% endfilter %}", "{}", "ABC"},
      {"{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}|{% set j = joiner('|') "
       "%}"
       "{{ j() }}x{{ j() }}y",
       "{}", "abab|x|y"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaStatements, GlobalsAndTransformersExtensions) {
  const RenderCase cases[] = {
      {"{{ range(1, 10, 3)|list }}|{{ range(5, 0, -2)|list }}|{{ range(0)|list }}", "{}", "[1, 4, 7]|[5, 3, 1]|[]"},
      {"{{ dict(a=1, b=2) }}|{{ dict([('x', 1)]) }}", "{}", "{'a': 1, 'b': 2}|{'x': 1}"},
      {"{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%A %B %j') }}", "{}",
       "26 Nov 2026|2026-11-26 13:05|Thursday November 330"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

}  // namespace
}  // namespace hearth
