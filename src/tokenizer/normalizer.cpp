#include "tokenizer/normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>

#include "util/error.h"

namespace hearth {

Normalization normalization_from_name(std::string_view name) {
  if (name == "NFC") return Normalization::kNfc;
  if (name == "NFD") return Normalization::kNfd;
  if (name == "NFKC") return Normalization::kNfkc;
  if (name == "NFKD") return Normalization::kNfkd;
  fail("unsupported normalizer type '{}' (supported: NFC, NFD, NFKC, NFKD)", name);
}

const char* normalization_name(Normalization form) {
  switch (form) {
    case Normalization::kNone:
      return "none";
    case Normalization::kNfc:
      return "NFC";
    case Normalization::kNfd:
      return "NFD";
    case Normalization::kNfkc:
      return "NFKC";
    case Normalization::kNfkd:
      return "NFKD";
  }
  return "?";
}

std::string normalize(std::string_view text, Normalization form) {
  if (form == Normalization::kNone || text.empty()) return std::string(text);
  // Every normalization form leaves ASCII unchanged.
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return std::string(text);
  int options = UTF8PROC_STABLE;
  switch (form) {
    case Normalization::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case Normalization::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case Normalization::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case Normalization::kNfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
    case Normalization::kNone:
      break;
  }
  utf8proc_uint8_t* out = nullptr;
  // An explicit length (no UTF8PROC_NULLTERM) keeps embedded NUL characters.
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                   &out, static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(out);
    fail("{} normalization failed: {}", normalization_name(form), utf8proc_errmsg(n));
  }
  std::string result(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return result;
}

}  // namespace hearth
