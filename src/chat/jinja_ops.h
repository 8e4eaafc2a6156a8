#pragma once
// Python semantics of the operators and lookups templates use: arithmetic with int/float rules,
// string and list concatenation and repetition, comparisons, `in`, attribute and item access with
// Jinja's sandboxed fallbacks (attribute -> key, key -> attribute, missing -> Undefined), slicing
// and iteration. Errors carry Python's messages ("can only concatenate str (not "int") to str").
#include <string_view>

#include "chat/jinja_ast.h"
#include "chat/jinja_value.h"

namespace hearth::jinja {

// Throws the undefined value's message when `v` is Undefined.
void require_defined(const Value& v);

// + - * / // % ** and ~ (And/Or are short-circuited by the interpreter).
Value binary_op(BinaryOp op, const Value& a, const Value& b);
Value unary_op(UnaryOp op, const Value& v);
bool compare_op(CompareOp op, const Value& a, const Value& b);
// Python's a < b (raises for unorderable types).
bool value_less(const Value& a, const Value& b);
// `item in container`.
bool value_in(const Value& item, const Value& container);

// obj.name: methods first, then dict keys / object attributes; Undefined when missing.
Value get_attr(const Value& obj, std::string_view name);
// obj[key]: dict keys, sequence and string indexes, then attributes; Undefined when missing.
Value get_item(const Value& obj, const Value& key);
// obj[start:stop:step] for str, list and tuple; any part may be None/Undefined (absent).
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// The items a for-loop visits: list/tuple items, dict keys, string characters; Undefined is empty.
ValueList iterate(const Value& v);
// len(): strings count code points.
size_t value_length(const Value& v);

}  // namespace hearth::jinja
