#include "tokenizer/utf8.h"

#include <cassert>

namespace hearth::utf8 {
namespace {

// Well-formed sequences per Unicode Table 3-7: the lead byte fixes the length and the range the
// second byte must fall in (this is what rules out overlong forms, surrogates and > U+10FFFF).
struct LeadInfo {
  std::uint8_t length;  // 0: not a lead byte
  std::uint8_t second_lo;
  std::uint8_t second_hi;
};

LeadInfo lead_info(std::uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

Step step(std::string_view s, std::size_t pos) {
  assert(pos < s.size());
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data()) + pos;
  const std::size_t available = s.size() - pos;
  const LeadInfo info = lead_info(p[0]);
  if (info.length == 0) return {StepKind::kInvalid, 1};
  if (info.length == 1) return {StepKind::kValid, 1};
  for (std::size_t i = 1; i < info.length; ++i) {
    if (i == available) return {StepKind::kTruncated, i};
    const std::uint8_t lo = i == 1 ? info.second_lo : 0x80;
    const std::uint8_t hi = i == 1 ? info.second_hi : 0xBF;
    if (p[i] < lo || p[i] > hi) return {StepKind::kInvalid, i};
  }
  return {StepKind::kValid, info.length};
}

bool is_valid(std::string_view s) {
  for (std::size_t pos = 0; pos < s.size();) {
    const auto c = static_cast<std::uint8_t>(s[pos]);
    if (c < 0x80) {
      ++pos;
      continue;
    }
    const Step st = step(s, pos);
    if (st.kind != StepKind::kValid) return false;
    pos += st.length;
  }
  return true;
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t pos = 0; pos < s.size();) {
    const Step st = step(s, pos);
    if (st.kind == StepKind::kValid)
      out.append(s.substr(pos, st.length));
    else
      out.append(kReplacement);
    pos += st.length;
  }
  return out;
}

void append_codepoint(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::uint32_t decode_valid(std::string_view s, std::size_t length) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  switch (length) {
    case 1:
      return p[0];
    case 2:
      return (std::uint32_t{p[0] & 0x1Fu} << 6) | (p[1] & 0x3Fu);
    case 3:
      return (std::uint32_t{p[0] & 0x0Fu} << 12) | (std::uint32_t{p[1] & 0x3Fu} << 6) | (p[2] & 0x3Fu);
    default:
      return (std::uint32_t{p[0] & 0x07u} << 18) | (std::uint32_t{p[1] & 0x3Fu} << 12) |
             (std::uint32_t{p[2] & 0x3Fu} << 6) | (p[3] & 0x3Fu);
  }
}

}  // namespace hearth::utf8
