#pragma once
// GPT-2's byte-level alphabet: every byte 0..255 stands for one printable code point, so a
// vocabulary of printable strings covers arbitrary bytes. Printable Latin-1 bytes stand for
// themselves; the rest (controls, space, 0x7F..0xA0, 0xAD) map to U+0100 onwards in byte order,
// which is why a leading space shows up as "Ġ" (U+0120) in vocabularies.
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::byte_level {

// The stand-in of byte `b`, UTF-8 encoded.
const std::string& byte_to_text(std::uint8_t b);

// The byte a code point stands for, or -1 when it is not one of the 256 stand-ins.
int codepoint_to_byte(std::uint32_t cp);

// The byte-level text of raw bytes ("a b" -> "aĠb").
std::string encode(std::string_view bytes);

// The raw bytes of a vocabulary token: when every character is a stand-in, the bytes they stand
// for; otherwise the token's own UTF-8 bytes (what Hugging Face's ByteLevel decoder does).
std::string decode(std::string_view token_text);

}  // namespace hearth::byte_level
