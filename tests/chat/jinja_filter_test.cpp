// Filters and the Python methods of str, dict and list values, tojson in particular (transformers'
// json.dumps(ensure_ascii=False): ", " and ": " separators, key order kept, non-ASCII kept).
#include <gtest/gtest.h>

#include "chat_test_util.h"

namespace hearth {
namespace {

using test::RenderCase;

TEST(JinjaFilters, ToJson) {
  const RenderCase cases[] = {
      {"{{ {'a':1,'b':[1,2.5,\"x\\n\\u00e9\\u0001\"]}|tojson }}", "{}", R"({"a": 1, "b": [1, 2.5, "x\né\u0001"]})"},
      {"{{ {'a':1,'b':[]}|tojson(indent=2) }}", "{}", "{\n  \"a\": 1,\n  \"b\": []\n}"},
      {"{{ {'a':{'c':[1,{}]},'b':'é'}|tojson(indent=4) }}", "{}",
       "{\n    \"a\": {\n        \"c\": [\n            1,\n            {}\n        ]\n    },\n    \"b\": \"é\"\n}"},
      {"{{ 'é😀'|tojson(ensure_ascii=true) }}|{{ {'b':1,'a':2}|tojson(sort_keys=true) }}|"
       "{{ [1,2]|tojson(separators=(',',':')) }}",
       "{}", R"("\u00e9\ud83d\ude00"|{"a": 2, "b": 1}|[1,2])"},
      {"{{ x|tojson }}", R"({"x": "\u0000\u001f\u007f\u0080\u00a0\u2028\t\n\\'\"/<>&\ud83d\ude00"})",
       "\"\\u0000\\u001f\x7f\u0080\u00a0\u2028\\t\\n\\\\'\\\"/<>&😀\""},
      {"{{ tool | tojson }}",
       R"({"tool": {"name": "f", "parameters": {"type": "object", "properties": {"q": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer", "default": 5}, "f": {"type": "number", "minimum": 0.5}}, "required": ["q"]}}})",
       R"({"name": "f", "parameters": {"type": "object", "properties": {"q": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer", "default": 5}, "f": {"type": "number", "minimum": 0.5}}, "required": ["q"]}})"},
      // true and 1 are the same dict key, as in Python; JSON keys are strings.
      {"{{ {1: 'a', 2.5: 'b', true: 'c', none: 'd'}|tojson }}|{{ (1, 'a')|tojson }}|{{ [1e-7, 0.1, 100.0, "
       "1e300]|tojson }}",
       "{}", R"({"1": "c", "2.5": "b", "null": "d"}|[1, "a"]|[1e-07, 0.1, 100.0, 1e+300])"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaFilters, StringFilters) {
  const RenderCase cases[] = {
      {"{{ 'abc'|length }}|{{ 'héllo'|length }}|{{ 'héllo'[1] }}|{{ 'héllo'|upper }}|{{ 'ß'|upper }}", "{}",
       "3|5|é|HÉLLO|SS"},
      {"{{ 'hello world'|title }}|{{ \"they're bill's\"|title }}|{{ 'hello-world (x)'|title }}|{{ 'ab cd'|capitalize "
       "}}",
       "{}", "Hello World|They're Bill's|Hello-World (X)|Ab cd"},
      {"{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'abc'|center(9) }}|{{ 'abc'|reverse }}|{{ 'one two, "
       "three!'|wordcount }}",
       "{}", "x|a|   abc   |cba|3"},
      {"{{ 'abc'|replace('b', 'x') }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'abc'.replace('', '-') }}"
       "|{{ 'abc'|replace('', '-', 2) }}",
       "{}", "axc|bba|-a-b-c-|-a-bc"},
      {"{{ \"x\\ny\"|indent(2) }}|{{ \"x\\n\\ny\"|indent(2, true) }}|{{ \"x\\n\\ny\\n\"|indent(2, blank=true) }}"
       "|{{ \"a\\nb\"|indent('> ') }}",
       "{}", "x\n  y|  x\n\n  y|x\n  \n  y\n  |a\n> b"},
      {"{{ 'hello world foo'|truncate(9) }}|{{ 'hello world foo'|truncate(9, true) }}|{{ 'hello'|truncate(255) }}"
       "|{{ 'one two three four five six'|truncate(10, leeway=0) }}",
       "{}", "hello...|hello ...|hello|one..."},
      {"{{ 'Hello'|e }}|{{ '<a href=\"x\">&\\'</a>'|escape }}|{{ '<b>'|safe }}|{{ '%s'|format('x') }}", "{}",
       "Hello|&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;|<b>|x"},
      {"{{ [1, 'a']|string }}|{{ none|string }}|{{ 42|string }}|{{ 'x'|list }}|{{ {'a':1}|list }}", "{}",
       "[1, 'a']|None|42|['x']|['a']"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaFilters, NumberFilters) {
  const RenderCase cases[] = {
      {"{{ 3|round }}|{{ 2.5|round }}|{{ 2.675|round(2) }}|{{ 3.14159|round(3, 'floor') }}|{{ 3.1|round(0, 'ceil') }}",
       "{}", "3|2.0|2.67|3.141|4.0"},
      {"{{ 3.7|int }}|{{ '42'|int }}|{{ 'x'|int }}|{{ '3.5'|int }}|{{ ' 7 '|int }}|{{ '0x1A'|int(base=16) }}"
       "|{{ '0b101'|int(0, 2) }}|{{ '1_000'|int }}|{{ true|int }}",
       "{}", "3|42|0|3|7|26|5|1000|1"},
      {"{{ '3.5'|float }}|{{ 'x'|float }}|{{ 'x'|float(1.5) }}|{{ 3|float }}|{{ '1e3'|float }}|{{ ' inf '|float }}",
       "{}", "3.5|0.0|1.5|3.0|1000.0|inf"},
      {"{{ -1|abs }}|{{ 1.5|abs }}|{{ [1,2,3]|sum }}|{{ [{'v':2},{'v':5}]|sum(attribute='v') }}|{{ [1,2]|sum(start=10) "
       "}}",
       "{}", "1|1.5|6|7|13"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaFilters, SequenceFilters) {
  const RenderCase cases[] = {
      {"{{ [3,1,2]|sort }}|{{ ['b','A','a']|sort }}|{{ [{'a':2},{'a':1}]|sort(attribute='a') }}"
       "|{{ [3,1,2]|sort(reverse=true) }}|{{ ['b','A','a']|sort(case_sensitive=true) }}",
       "{}", "[1, 2, 3]|['A', 'a', 'b']|[{'a': 1}, {'a': 2}]|[3, 2, 1]|['A', 'a', 'b']"},
      {"{{ ['b','A','a']|unique|list }}|{{ [1,2,1,3]|unique|list }}|{{ [{'a':1},{'a':1}]|unique(attribute='a')|list }}",
       "{}", "['b', 'A']|[1, 2, 3]|[{'a': 1}]"},
      {"{{ ['a','b']|join(', ') }}|{{ [1,2]|join }}|{{ [{'n':'x'},{'n':'y'}]|map(attribute='n')|join(',') }}"
       "|{{ ['a','B']|map('upper')|list }}|{{ [{'n':'x'},{}]|map(attribute='n', default='z')|list }}",
       "{}", "a, b|12|x,y|['A', 'B']|['x', 'z']"},
      {"{{ [[1,2],[3]]|map('length')|list }}|{{ ['1','2']|map('int')|sum }}|{{ [' a ',' b']|map('trim')|join }}", "{}",
       "[2, 1]|3|ab"},
      {"{{ [1,2,3]|first }}{{ [1,2,3]|last }}{{ []|first }}{{ 'abc'|first }}{{ {'a':1}|first }}|{{ [1,2,3]|max }}"
       "|{{ [1,2,3]|min }}|{{ ['b','A']|max }}",
       "{}", "13aa|3|1|b"},
      {"{{ [1,2,3,4,5]|batch(2)|list }}|{{ [1,2,3,4,5]|batch(2, 'x')|list }}|{{ [1,2,3,4,5]|slice(2)|list }}"
       "|{{ [1,2,3,4,5]|slice(3, 0)|list }}",
       "{}", "[[1, 2], [3, 4], [5]]|[[1, 2], [3, 4], [5, 'x']]|[[1, 2, 3], [4, 5]]|[[1, 2], [3, 4], [5, 0]]"},
      {"{{ messages|selectattr('role', 'equalto', 'user')|list|length }}"
       "|{{ messages|rejectattr('role', 'equalto', 'user')|map(attribute='content')|list }}"
       "|{{ messages|selectattr('tool_calls', 'defined')|list|length }}|{{ [1,2,3,4]|select('odd')|list }}"
       "|{{ [1,2,3,4]|reject('odd')|list }}|{{ [0,1,'',none,'a']|select|list }}",
       R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool_calls": [1]}]})",
       "1|['b']|1|[1, 3]|[2, 4]|[1, 'a']"},
      {"{{ d|dictsort }}|{{ d|dictsort(by='value') }}|{{ d|dictsort(reverse=true) }}",
       R"({"d": {"b": 1, "a": 2, "C": 0}})",
       "[('a', 2), ('b', 1), ('C', 0)]|[('C', 0), ('b', 1), ('a', 2)]|[('C', 0), ('b', 1), ('a', 2)]"},
      {"{{ x|default('d') }}|{{ none|default('d') }}|{{ ''|default('d', true) }}|{{ x|d('e') }}", "{}", "d|None|d|e"},
      {"{{ {'a': 1}|items|list }}|{{ x|items|list }}|{{ messages|length }}{{ messages|count }}",
       R"({"messages": [1, 2]})", "[('a', 1)]|[]|22"},
      {"{{ [1,2]|reverse|list }}|{{ {'a':1}|attr('items') is callable }}", "{}", "[2, 1]|True"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

TEST(JinjaFilters, StringMethods) {
  const RenderCase cases[] = {
      {"{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(None, 1) }}|{{ 'a b c'.rsplit(' ', 1) }}"
       "|{{ '  a b c  '.rsplit(None, 1) }}|{{ 'a\\nb\\r\\nc'.splitlines() }}",
       "{}", "['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a b', 'c']|['  a b', 'c']|['a', 'b', 'c']"},
      {"{{ 'xxhixx'.strip('x') }}|{{ '  hi '.lstrip() }}|{{ 'Hello World'.title() }}|{{ \"they're bill's\".title() }}",
       "{}", "hi|hi |Hello World|They'Re Bill'S"},
      {"{{ \"abc\".startswith((\"x\", \"a\")) }}{{ \"abc\".endswith(\"bc\") }}{{ \"abc\".startswith(\"b\", 1) }}"
       "{{ 'abcabc'.find('c') }}{{ 'abcabc'.rfind('c') }}{{ 'héc'.find('c') }}{{ 'abc'.find('z') }}"
       "{{ 'aaa'.count('a') }}{{ 'a-b'.replace('-', '+') }}{{ 'abc'.upper() }}{{ 'ABC'.lower() }}",
       "{}", "TrueTrueTrue252-13a+bABCabc"},
      {"{{ ', '.join(['a','b']) }}|{{ 'x'.center(5) }}|{{ 'x'.ljust(3, '-') }}|{{ 'x'.rjust(3) }}|{{ '42'.zfill(5) }}"
       "|{{ '-42'.zfill(5) }}|{{ 'a=b=c'.partition('=') }}|{{ 'a=b=c'.rpartition('=') }}"
       "|{{ 'prefix_x'.removeprefix('prefix_') }}",
       "{}", "a, b|  x  |x--|  x|00042|-0042|('a', '=', 'b=c')|('a=b', '=', 'c')|x"},
      {"{{ 'abc'.isalpha() }}{{ '123'.isdigit() }}{{ ' '.isspace() }}{{ ''.isalpha() }}{{ 'Ab Cd'.istitle() }}"
       "{{ 'ab'.islower() }}{{ 'AB'.isupper() }}{{ 'aB'.swapcase() }}{{ 'abc def'.capitalize() }}",
       "{}", "TrueTrueTrueFalseTrueTrueTrueAbAbc def"},
      {"{{ \"{} {:>5} {:.2f} {name}\".format(1, 'ab', 3.14159, name='n') }}|{{ '{0}{1}{0}'.format('a', 'b') }}"
       "|{{ '{:03d}|{:+.1e}|{:,}|{:x}|{!r}'.format(7, 12345.678, 1234567, 255, 'q') }}",
       "{}", "1    ab 3.14 n|aba|007|+1.2e+04|1,234,567|ff|'q'"},
      // Unicode whitespace counts for strip/split, as in Python.
      {"{{ x.strip() }}|{{ x|trim }}|{{ x.split() }}|{{ x|length }}", R"({"x": "\u3000 a\u00a0b \u2003"})",
       "a\u00a0b|a\u00a0b|['a', 'b']|7"},
      {"{{ messages[0].content.split('</think>')[-1].lstrip('\\n') }}",
       R"({"messages": [{"content": "<think>\nx\n</think>\n\nreply"}]})", "reply"},
      {"{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.get('a') }}|{{ d.get('z') }}|{{ d.get('z', 5) }}"
       "|{{ [1,2,3].index(2) }}{{ [1,2,2].count(2) }}{{ (1,2).index(2) }}",
       R"({"d": {"b": 1, "a": 2}})", "['b', 'a']|[1, 2]|2|None|5|121"},
  };
  for (const auto& c : cases) test::expect_renders(c);
}

}  // namespace
}  // namespace hearth
