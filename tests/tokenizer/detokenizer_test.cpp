// Streaming detokenization: text comes out as soon as characters are complete, never half a
// UTF-8 character, and all of it together is exactly decode(ids).
#include "tokenizer/detokenizer.h"

#include <gtest/gtest.h>

#include "format/model_files.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

namespace hearth {
namespace {

using test::ids_of;
using test::qwen_tokenizer;

// GPT-2 byte-level stand-ins (printable Latin-1 bytes stand for themselves; 0xA0 is the 34th of
// the remapped bytes after the 33 of 0x00..0x20, 0x7F being the first: U+0100 + 33 + 33 = U+0142).
constexpr const char* kByteE4 = "\xC3\xA4";  // "ä" stands for byte 0xE4
constexpr const char* kByteBD = "\xC2\xBD";  // "½" stands for byte 0xBD
constexpr const char* kByteA0 = "\xC5\x82";  // "ł" stands for byte 0xA0

TokenId id_of(const char* text) {
  auto id = qwen_tokenizer().token_id(text);
  EXPECT_TRUE(id.has_value()) << text;
  return id.value_or(0);
}

TEST(StreamingDetokenizer, HoldsBackACharacterSplitAcrossTokens) {
  HEARTH_REQUIRE_SHARED();
  StreamingDetokenizer d(qwen_tokenizer());
  // 你 is E4 BD A0, fed as three single-byte tokens.
  EXPECT_EQ(d.push(id_of("Hello")), "Hello");
  EXPECT_EQ(d.push(id_of(kByteE4)), "");
  EXPECT_EQ(d.pending_bytes(), 1u);
  EXPECT_EQ(d.push(id_of(kByteBD)), "");
  EXPECT_EQ(d.pending_bytes(), 2u);
  EXPECT_EQ(d.push(id_of(kByteA0)), "\xE4\xBD\xA0");
  EXPECT_EQ(d.pending_bytes(), 0u);
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamingDetokenizer, IllFormedBytesBecomeReplacementCharacters) {
  HEARTH_REQUIRE_SHARED();
  StreamingDetokenizer d(qwen_tokenizer());
  EXPECT_EQ(d.push(id_of(kByteE4)), "");
  // "A" cannot continue E4: the held byte becomes U+FFFD and "A" follows.
  EXPECT_EQ(d.push(id_of("A")),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(d.push(id_of(kByteBD)), "\xEF\xBF\xBD");  // a lone continuation byte
  EXPECT_EQ(d.push(id_of(kByteE4)), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");  // unfinished at the end
  EXPECT_EQ(d.pending_bytes(), 0u);
}

// Every reference text streamed token by token: each piece is well-formed UTF-8 and the pieces
// add up to transformers' decode.
TEST(StreamingDetokenizer, ReferenceTextsStreamToTheirDecodedText) {
  HEARTH_REQUIRE_SHARED();
  int held_back = 0;
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    SCOPED_TRACE(c["text"].get<std::string>());
    StreamingDetokenizer d(qwen_tokenizer());
    std::string streamed;
    for (TokenId id : ids_of(c["ids"])) {
      const std::string piece = d.push(id);
      EXPECT_TRUE(utf8::is_valid(piece));
      held_back += d.pending_bytes() > 0;
      streamed += piece;
    }
    streamed += d.flush();
    EXPECT_EQ(streamed, c["decoded"].get<std::string>());
  }
  // The emoji and CJK cases split characters across tokens (👨 is 61804 + 101 in the reference).
  EXPECT_GT(held_back, 0);
}

TEST(StreamingDetokenizer, EmojiSplitAcrossTokensComesOutWhole) {
  HEARTH_REQUIRE_SHARED();
  // transformers: "🚀🔥 emoji 👨\u200d👩\u200d👧 family ✅" starts 145836 144670 42365 61804 101 378 235.
  StreamingDetokenizer d(qwen_tokenizer());
  EXPECT_EQ(d.push(145836), "\xF0\x9F\x9A\x80");  // 🚀
  EXPECT_EQ(d.push(144670), "\xF0\x9F\x94\xA5");  // 🔥
  EXPECT_EQ(d.push(42365), " emoji");
  EXPECT_EQ(d.push(61804), " ");  // " " + the first three bytes of 👨
  EXPECT_EQ(d.pending_bytes(), 3u);
  EXPECT_EQ(d.push(101), "\xF0\x9F\x91\xA8");  // 👨 completes
  EXPECT_EQ(d.push(378), "");                  // ZWJ E2 80 8D split 2 + 1
  EXPECT_EQ(d.push(235), "\xE2\x80\x8D");
}

TEST(StreamingDetokenizer, PaddingIdsGiveNothingAndOutOfRangeIdsFail) {
  HEARTH_REQUIRE_SHARED();
  const auto tok = load_tokenizer(open_model_files(test::qwen_model_dir(), /*load_weights=*/false));
  StreamingDetokenizer d(*tok);
  EXPECT_EQ(d.push(151700), "");
  EXPECT_EQ(d.push(151935), "");
  EXPECT_THROW(d.push(151936), Error);
  EXPECT_THROW(d.push(-5), Error);
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamingDetokenizer, SkipSpecialDropsControlTokens) {
  HEARTH_REQUIRE_SHARED();
  StreamingDetokenizer keep(qwen_tokenizer());
  StreamingDetokenizer skip(qwen_tokenizer(), /*skip_special=*/true);
  EXPECT_EQ(keep.push(151645), "<|im_end|>");
  EXPECT_EQ(skip.push(151645), "");
  EXPECT_EQ(skip.push(151667), "<think>");  // not special
}

}  // namespace
}  // namespace hearth
