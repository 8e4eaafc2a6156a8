#pragma once
// Builds the syntax tree from the token stream, following Jinja2 3.1's grammar (operator
// precedence, `is` tests, filters, tuples, slices, call arguments) for the statements chat templates
// use: if/elif/else, for (else, filter, recursive), set (incl. namespace attributes and blocks),
// macro, call, filter, with, break/continue and transformers' {% generation %}.
#include <memory>
#include <string_view>

#include "chat/jinja_ast.h"

namespace hearth::jinja {

// Throws RenderError carrying the line of the offending construct: syntax errors, unknown or
// unsupported tags, unknown filters and tests.
std::unique_ptr<Program> parse_template(std::string_view source);

}  // namespace hearth::jinja
