#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace hearth::byte_level {
namespace {

bool stands_for_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); }

struct Tables {
  std::array<std::uint32_t, 256> codepoint{};
  std::array<std::string, 256> text;
  std::array<std::int16_t, 512> byte_of{};  // every stand-in is below U+0144

  Tables() {
    byte_of.fill(-1);
    std::uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      codepoint[b] = stands_for_itself(b) ? static_cast<std::uint32_t>(b) : next++;
      utf8::append_codepoint(text[b], codepoint[b]);
      byte_of[codepoint[b]] = static_cast<std::int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_text(std::uint8_t b) { return tables().text[b]; }

int codepoint_to_byte(std::uint32_t cp) { return cp < 512 ? tables().byte_of[cp] : -1; }

std::string encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.text[static_cast<std::uint8_t>(c)];
  return out;
}

std::string decode(std::string_view token_text) {
  std::string out;
  out.reserve(token_text.size());
  for (std::size_t pos = 0; pos < token_text.size();) {
    const utf8::Step st = utf8::step(token_text, pos);
    if (st.kind != utf8::StepKind::kValid) return std::string(token_text);
    const int b = codepoint_to_byte(utf8::decode_valid(token_text.substr(pos), st.length));
    if (b < 0) return std::string(token_text);
    out.push_back(static_cast<char>(b));
    pos += st.length;
  }
  return out;
}

}  // namespace hearth::byte_level
