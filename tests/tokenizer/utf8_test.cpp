// The lossy UTF-8 rules decode() relies on, with expectations from the Unicode Standard
// (Table 3-7 and "U+FFFD Substitution of Maximal Subparts"), which Python and Rust follow.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"

namespace hearth {
namespace {

const std::string R = "\xEF\xBF\xBD";

TEST(Utf8, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(utf8::sanitize("plain ascii"), "plain ascii");
  EXPECT_EQ(utf8::sanitize("\xE4\xBD\xA0\xF0\x9F\x98\x81"), "\xE4\xBD\xA0\xF0\x9F\x98\x81");
  EXPECT_EQ(utf8::sanitize("\xFF"), R);
  EXPECT_EQ(utf8::sanitize("\xE4\xBD"), R);  // truncated: one replacement
  EXPECT_EQ(utf8::sanitize("\xE4\xBD"
                           "A"),
            R + "A");
  EXPECT_EQ(utf8::sanitize("\xC0\xAF"), R + R);                  // overlong lead byte, then a lone continuation
  EXPECT_EQ(utf8::sanitize("\xE0\x80\xAF"), R + R + R);          // E0 needs A0..BF next
  EXPECT_EQ(utf8::sanitize("\xED\xA0\x80"), R + R + R);          // surrogates are ill-formed
  EXPECT_EQ(utf8::sanitize("\xF4\x90\x80\x80"), R + R + R + R);  // past U+10FFFF
  EXPECT_EQ(utf8::sanitize("\xF0\x9F\x98"
                           "x"),
            R + "x");
  EXPECT_EQ(utf8::sanitize(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8, StepReportsTruncatedPrefixes) {
  EXPECT_EQ(utf8::step("\xF0\x9F\x98", 0).kind, utf8::StepKind::kTruncated);
  EXPECT_EQ(utf8::step("\xF0\x9F\x98", 0).length, 3u);
  EXPECT_EQ(utf8::step("\xF0\x9F\x98\x81", 0).kind, utf8::StepKind::kValid);
  EXPECT_EQ(utf8::step("\xF0\x9F\x98\x81", 0).length, 4u);
  EXPECT_EQ(utf8::step("\xF0\x20", 0).kind, utf8::StepKind::kInvalid);
  EXPECT_EQ(utf8::step("\xF0\x20", 0).length, 1u);
  EXPECT_FALSE(utf8::is_valid("\xE4\xBD"));
  EXPECT_TRUE(utf8::is_valid("\xE4\xBD\xA0"));
}

TEST(ByteLevel, Gpt2Alphabet) {
  // Printable bytes stand for themselves; space is U+0120 "Ġ", newline U+010A "Ċ", 0xAD U+0143.
  EXPECT_EQ(byte_level::encode("a b\n"),
            "a\xC4\xA0"
            "b\xC4\x8A");
  EXPECT_EQ(byte_level::byte_to_text(0xAD), "\xC5\x83");
  EXPECT_EQ(byte_level::byte_to_text(0xE4), "\xC3\xA4");
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(byte_level::decode(byte_level::encode(one)), one) << b;
  }
  // A token with a character outside the alphabet is taken as its own bytes.
  EXPECT_EQ(byte_level::decode("\xE4\xBD\xA0"), "\xE4\xBD\xA0");
}

}  // namespace
}  // namespace hearth
