#pragma once
// ASCII-only text helpers for protocol tokens (registry hosts, auth schemes, model names, file extensions),
// where locale-dependent case mapping would be wrong.
#include <string>
#include <string_view>

namespace hearth {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace hearth
