// Hearth's tokenizer against transformers (../shared/reference/tokenizer.json) and llama.cpp's
// tokenizer tests (../shared/data/tokenizer-tests/ggml-vocab-qwen2.gguf.*).
#include <gtest/gtest.h>

#include "test_support.h"
#include "tokenizer_test_data.h"

namespace hearth {
namespace {

using test::ids_of;
using test::qwen_tokenizer;
using test::tokenizer_reference;

TEST(TokenizerReference, TextsEncodeAsTransformers) {
  HEARTH_REQUIRE_SHARED();
  const auto& texts = tokenizer_reference()["texts"];
  ASSERT_GE(texts.size(), 20u);
  for (const auto& c : texts) {
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE(text);
    EXPECT_EQ(qwen_tokenizer().encode(text, /*parse_special=*/true), ids_of(c["ids"]));
  }
}

TEST(TokenizerReference, TextsDecodeAsTransformers) {
  HEARTH_REQUIRE_SHARED();
  for (const auto& c : tokenizer_reference()["texts"]) {
    SCOPED_TRACE(c["text"].get<std::string>());
    EXPECT_EQ(qwen_tokenizer().decode(ids_of(c["ids"])), c["decoded"].get<std::string>());
  }
}

TEST(TokenizerReference, RenderedChatsEncodeAsTransformers) {
  HEARTH_REQUIRE_SHARED();
  const auto& chats = tokenizer_reference()["chats"];
  ASSERT_GE(chats.size(), 6u);
  for (const auto& c : chats) {
    const std::string rendered = c["rendered"].get<std::string>();
    SCOPED_TRACE(rendered);
    const std::vector<TokenId> ids = ids_of(c["ids"]);
    EXPECT_EQ(qwen_tokenizer().encode(rendered), ids);
    EXPECT_EQ(qwen_tokenizer().decode(ids), rendered);
  }
}

TEST(TokenizerReference, GgmlVocabQwen2CasesWithoutSpecialParsing) {
  HEARTH_REQUIRE_SHARED();
  const auto cases = test::ggml_vocab_qwen2_cases();
  ASSERT_EQ(cases.size(), 46u);
  // The file's delimiting keeps a case's own newlines: check a few so a parsing slip shows up here.
  EXPECT_EQ(cases[0].text, "ied 4 \xC2\xBD months");
  EXPECT_EQ(cases[2].text, "");
  EXPECT_EQ(cases[7].text, "\n");
  EXPECT_EQ(cases[9].text, "\n\n\n");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(qwen_tokenizer().encode(c.text, /*parse_special=*/false), c.ids);
    // These texts are all in NFC already, so decoding gives them back.
    EXPECT_EQ(qwen_tokenizer().decode(c.ids), c.text);
  }
}

TEST(TokenizerReference, NoSpecialTreatsSpecialTokenTextAsPlainText) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  const std::string text = "<|im_start|>user\nhi there<|im_end|>\n";
  const std::vector<TokenId> ids = tok.encode(text, /*parse_special=*/false);
  for (TokenId id : ids) EXPECT_FALSE(tok.is_special(id)) << id;
  EXPECT_EQ(tok.decode(ids), text);
  // With parsing on, the same text starts with <|im_start|> (151644 in the reference).
  EXPECT_EQ(tok.encode(text, /*parse_special=*/true).front(), 151644);
}

TEST(TokenizerReference, NonSpecialAddedTokensAreMatchedEitherWay) {
  HEARTH_REQUIRE_SHARED();
  // <think> (151667) is an added token with "special": false: transformers and llama.cpp both
  // match it even when special tokens are not parsed.
  const Tokenizer& tok = qwen_tokenizer();
  for (bool parse_special : {true, false}) EXPECT_EQ(tok.encode("<think>", parse_special).front(), 151667);
}

}  // namespace
}  // namespace hearth
