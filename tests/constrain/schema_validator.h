#pragma once
// An independent JSON Schema validator for the subset constrained decoding supports, written directly from
// the specification (JSON Schema 2020-12 validation vocabulary, with the draft-4 tuple `items` form and
// OpenAPI's `nullable`). It shares no code with src/constrain, so the sampling tests check the generator
// against the schema's meaning, not against the generator's own compiled form.
#include <string>

#include <nlohmann/json.hpp>

namespace hearth::constrain::test {

// "" when `instance` is valid against `schema` (inside `root`, for $ref); else the first violation found.
std::string validate_against_schema(const nlohmann::json& schema, const nlohmann::json& instance,
                                    const nlohmann::json& root);

}  // namespace hearth::constrain::test
