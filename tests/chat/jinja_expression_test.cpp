// Expressions with Python semantics: literals, arithmetic, comparisons, tests, attribute and item
// access, slicing, and how values print (Python's str() and repr()).
#include <gtest/gtest.h>

#include "chat_test_util.h"

namespace hearth {
namespace {

using test::RenderCase;

TEST(JinjaExpressions, Literals) {
  const RenderCase cases[] = {
      {"{{ true }}{{ True }}{{ false }}{{ None }}{{ none }}|{{ none is none }}", "{}", "TrueTrueFalseNoneNone|True"},
      {"{{ 'a' 'b' }}|{{ \"it's\" }}|{{ 'say \"hi\"' }}", "{}", "ab|it's|say \"hi\""},
      {R"({{ "a\tb\\c\'d\"e\x41\u00e9\U0001F600\101\q" }})", "{}", "a\tb\\c'd\"eAé😀A\\q"},
      {"{{ 1_000 }}|{{ 0x10 }}|{{ 0o10 }}|{{ 0b11 }}|{{ 1.5e3 }}|{{ 1e-7 }}", "{}", "1000|16|8|3|1500.0|1e-07"},
      {"{{ [1, 2,] }}|{{ {'a': 1,} }}|{{ (1,) }}|{{ () }}|{{ (1, 2) }}|{{ 1, 2 }}", "{}",
       "[1, 2]|{'a': 1}|(1,)|()|(1, 2)|(1, 2)"},
      {"{{ {'a': {'b': 1}} }}|{{ {'a':1}}}|{{ \"{{\" }}|{{ '}}' }}", "{}", "{'a': {'b': 1}}|{'a': 1}|{{|}}"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaExpressions, PrintingFollowsPythonStrAndRepr) {
  const RenderCase cases[] = {
      {"{{ 1.0 }}|{{ 100.0 }}|{{ 1e20 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.0001 }}|{{ 0.00001 }}|{{ -0.0 }}", "{}",
       "1.0|100.0|1e+20|1e+16|1000000000000000.0|0.0001|1e-05|-0.0"},
      {"{{ 0.1 + 0.2 }}|{{ 1/3 }}|{{ 2.0 ** 0.5 }}|{{ 1e100 }}|{{ 123456789.123456789 }}", "{}",
       "0.30000000000000004|0.3333333333333333|1.4142135623730951|1e+100|123456789.12345679"},
      {"{{ [1, 'a', \"b'c\", none, true, 1.5, {'k': (1,)}] }}", "{}",
       "[1, 'a', \"b'c\", None, True, 1.5, {'k': (1,)}]"},
      {"{{ 'x' ~ 1 ~ none ~ 1.5 ~ [1] ~ true }}", "{}", "x1None1.5[1]True"},
      {"{{ [x] }}", R"({"x": "\u0000\u001f\u007f\u0080\u00a0\u2028\t\n\\'\""})",
       R"(['\x00\x1f\x7f\x80\xa0\u2028\t\n\\\'"'])"},
      {"{{ [x] }}", R"({"x": "it's"})", R"(["it's"])"},
      {"{{ {'a': none, 'b': true, 'c': 1.0} }}|{{ {1: 'a', none: 2} }}|{{ {(1,2): 3} }}", "{}",
       "{'a': None, 'b': True, 'c': 1.0}|{1: 'a', None: 2}|{(1, 2): 3}"},
      {"{% set ns = namespace(a=1, b='x') %}{{ ns }}", "{}", "<Namespace {'a': 1, 'b': 'x'}>"},
      {"{% for i in [1] %}{{ loop }}{% endfor %}", "{}", "<LoopContext 1/1>"},
      {"{{ x }}|{{ x.y }}", R"({"x": {"y": 1.0}})", "{'y': 1.0}|1.0"},
  };
  for (const auto& c : cases) test::expect_renders(c);
  // str() keeps control and separator characters as they are (NUL included).
  EXPECT_EQ(test::render("{{ x }}", R"({"x": "\u0000\u001f\u007f\u0080\u00a0\u2028"})"),
            std::string("\0\x1f\x7f\u0080\u00a0\u2028", 10));
}

TEST(JinjaExpressions, Arithmetic) {
  const RenderCase cases[] = {
      {"{{ -1|abs }}|{{ 2**3**2 }}|{{ 7//-2 }}|{{ -7 % 3 }}|{{ 1/2 }}|{{ 4/2 }}|{{ 2**-1 }}|{{ -7.5 // 2 }}|{{ 7.5 % "
       "-2 }}",
       "{}", "1|64|-4|2|0.5|2.0|0.5|-4.0|-0.5"},
      {"{{ 'a' * 3 }}{{ [1] * 2 }}{{ 2 * 'b' }}{{ 10 ** 15 }}", "{}", "aaa[1, 1]bb1000000000000000"},
      {"{{ [1, 2] + [3] }}|{{ (1,) + (2,) }}|{{ 'a' + 'b' }}|{{ 1 + 2.5 }}|{{ true + true }}", "{}",
       "[1, 2, 3]|(1, 2)|ab|3.5|2"},
      {"{{ \"a\" ~ \"b\" | upper }}|{{ (\"a\" ~ \"b\") | upper }}|{{ -2 ** 2 }}|{{ (-2) ** 2 }}|{{ 2 * 3 + 1 }}"
       "|{{ 1 + 2 * 3 }}|{{ 10 - 2 - 3 }}",
       "{}", "aB|AB|4|4|7|7|5"},
      {"{{ \"%s-%d-%05.2f-%r\" % ('a', 3, 2.5, 'q') }}|{{ '%(a)s=%(b)d' % {'a': 'k', 'b': 2} }}"
       "|{{ '%x %o %e %g %%' % (255, 8, 12345.678, 0.0001) }}",
       "{}", "a-3-02.50-'q'|k=2|ff 10 1.234568e+04 0.0001 %"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaExpressions, LogicAndComparisons) {
  const RenderCase cases[] = {
      {"{{ 1 == 1.0 }}{{ true == 1 }}{{ [1] == (1,) }}{{ {'a':1,'b':2} == {'b':2,'a':1} }}{{ 'a' < 'b' }}"
       "{{ [1,2] < [1,3] }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}",
       "{}", "TrueTrueFalseTrueTrueTrueTrueFalse"},
      {"{{ 0 or 'x' }}|{{ 1 and 'y' }}|{{ none or [] }}|{{ not 0 }}|{{ not none is none }}|{{ (not none) is none }}",
       "{}", "x|y|[]|True|False|False"},
      {"{{ 'x' in {'x': 1} }}{{ 2 in [1, 2] }}{{ 'b' not in 'abc' }}{{ 'q' in u }}", "{}", "TrueTrueFalseFalse"},
      {"{{ 'a' if true }}|{{ 'a' if false }}|{{ 'a' if false else 'b' }}|{{ 1 if 0 else 2 if 0 else 3 }}", "{}",
       "a||b|3"},
      {"{{ 'a' if x is defined and x else 'b' }}{{ 'c' if y is not none }}", R"({"x": 0, "y": null})", "b"},
      {"{{ x is string and x|length > 2 }}", R"({"x": "abcd"})", "True"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaExpressions, Tests) {
  const RenderCase cases[] = {
      {"{{ 'abc' is string }}{{ 1 is number }}{{ true is number }}{{ true is integer }}{{ 1.0 is float }}"
       "{{ {} is mapping }}{{ 'a' is iterable }}{{ none is none }}{{ 3 is odd }}{{ 6 is divisibleby 3 }}"
       "{{ 6 is divisibleby(4) }}",
       "{}", "TrueTrueTrueFalseTrueTrueTrueTrueTrueTrueFalse"},
      {"{{ x is defined }}{{ x is undefined }}{{ 1 is eq 1 }}{{ 1 is sameas 1 }}{{ 'a' is in 'abc' }}"
       "{{ 'A' is upper }}{{ 'aB' is lower }}{{ true is true }}{{ 1 is true }}{{ false is false }}"
       "{{ 0 is false }}{{ true is boolean }}",
       "{}", "FalseTrueTrueTrueTrueTrueFalseTrueFalseTrueFalseTrue"},
      {"{{ x is not defined }}{{ x is not none }}{{ not x is defined }}", "{}", "TrueTrueTrue"},
      {"{{ 5 is eq 5 and 6 is ne 5 }}{{ 3 is lt 4 }}{{ 3 is greaterthan 1 }}{{ 1 is in [1,2] }}"
       "{{ 'a' is sameas 'a' }}{{ [] is sameas [] }}",
       "{}", "TrueTrueTrueTrueTrueFalse"},
      {"{{ x is callable }}{{ range is callable }}{{ 'upper' is filter }}{{ 'odd' is test }}", "{}",
       "TrueTrueTrueTrue"},
      {"{{ u is sequence }}{{ u is iterable }}{{ 1 is iterable }}{{ 'a' is sequence }}{{ {} is sequence }}", "{}",
       "TrueTrueFalseTrueTrue"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaExpressions, AttributesItemsAndSlices) {
  const RenderCase cases[] = {
      {"{{ a.b }}{{ a['b'] }}{{ a[\"b\"] }}", R"({"a": {"b": "v"}})", "vvv"},
      // dict methods win over keys for `.`, keys win for `[]`.
      {"{{ d['items'] }}|{{ d.items() | list }}", R"({"d": {"items": 1}})", "1|[('items', 1)]"},
      {"{{ a[0] }}|{{ a.0 }}|{{ a[-1] }}|{{ t[1] }}|{{ a[5] }}|{{ [1,2]['a'] }}|{{ {'a':1}[0] }}",
       R"({"a": [5, 6], "t": "xy"})", "5|5|6|y|||"},
      {"{{ range(3)|list }}|{{ 'abc'[1] }}|{{ 'abc'[-1:] }}|{{ [1,2,3][::-1] }}|{{ 'héllo'[::-2] }}"
       "|{{ [0,1,2,3,4,5][1:5:2] }}|{{ [0,1,2,3][-2:] }}|{{ 'abc'[5:] }}",
       "{}", "[0, 1, 2]|b|c|[3, 2, 1]|olh|[1, 3]|[2, 3]|"},
      {"{{ [1,2,3][1:] }}|{{ [1,2,3][:-1] }}|{{ 'hello'[1:3] }}|{{ x[1:] }}|{{ (1,2,3)[1:] }}", R"({"x": [1]})",
       "[2, 3]|[1, 2]|el|[]|(2, 3)"},
      {"{{ messages[-1].content }}|{{ messages[messages|length - 1].role }}|{{ (messages|last).role }}",
       R"({"messages": [{"role": "a", "content": "1"}, {"role": "b", "content": "2"}]})", "2|b|b"},
      {"{{ x.content }}|{{ x['content'] }}|{{ x.get('content') }}|{{ x.content is none }}",
       R"({"x": {"content": null}})", "None|None|None|True"},
      // Key order of JSON objects is kept.
      {"{% for k in d %}{{ k }}{% endfor %}|{{ d }}", R"({"d": {"z": 1, "a": 2, "m": 3}})",
       "zam|{'z': 1, 'a': 2, 'm': 3}"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaExpressions, UndefinedValues) {
  const RenderCase cases[] = {
      // Printing, concatenating, measuring or testing an undefined value is fine.
      {"[{{ u }}]{{ u ~ 'x' }}|{{ u|length }}|{{ u|upper }}|{{ u == u }}|{{ u is defined }}|{{ not u }}", "{}",
       "[]x|0||True|False|True"},
      {"{% for x in u %}x{% else %}empty{% endfor %}|{{ u|default('d') }}|{{ u|list }}", "{}", "empty|d|[]"},
      {"{{ d.missing }}|{{ d.missing is defined }}|{{ d['missing'] is undefined }}", R"({"d": {}})", "|False|True"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

}  // namespace
}  // namespace hearth
