// Tokenizer behaviour beyond the reference cases: BPE rank order on hand-made vocabularies,
// added-token options, invalid UTF-8, padding ids, accessors and loader errors.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "format/model_files.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

namespace hearth {
namespace {

using nlohmann::json;
using test::qwen_tokenizer;

// A tokenizer.json with a byte-level pre-tokenizer that does not split (so a test controls
// exactly what BPE sees), the given vocabulary, merges and added tokens.
json small_tokenizer(const json& vocab, const json& merges, const json& added = json::array()) {
  return {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
  };
}

std::unique_ptr<Tokenizer> load_json(const json& j) {
  test::TempDir dir;
  const std::string path = (dir / "tokenizer.json").string();
  std::ofstream(path) << j.dump();
  return load_tokenizer_json(path);
}

std::string load_error(const std::string& contents) {
  test::TempDir dir;
  const std::string path = (dir / "tokenizer.json").string();
  std::ofstream(path) << contents;
  try {
    load_tokenizer_json(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TokenizerBpe, LowestRankMergeAppliesFirst) {
  const json vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}};
  // "b c" outranks "a b": abc -> a|bc -> abc.
  EXPECT_EQ(load_json(small_tokenizer(vocab, {"b c", "a b", "a bc"}))->encode("abc"), (std::vector<TokenId>{5}));
  // "a b" outranks "b c" and nothing joins ab with c: abc -> ab|c.
  EXPECT_EQ(load_json(small_tokenizer(vocab, {"a b", "b c"}))->encode("abc"), (std::vector<TokenId>{3, 2}));
  // "b c" first and no "a bc": a|bc.
  EXPECT_EQ(load_json(small_tokenizer(vocab, {"b c", "a b"}))->encode("abc"), (std::vector<TokenId>{0, 4}));
}

TEST(TokenizerBpe, EqualRanksMergeLeftmostFirst) {
  const json vocab = {{"a", 0}, {"aa", 1}, {"aaaa", 2}};
  // The newer [["a","a"], ...] form of merges.
  auto tok = load_json(small_tokenizer(vocab, json::array({json::array({"a", "a"})})));
  EXPECT_EQ(tok->encode("aaa"), (std::vector<TokenId>{1, 0}));
  EXPECT_EQ(tok->encode("aaaaa"), (std::vector<TokenId>{1, 1, 0}));
  auto tok4 = load_json(small_tokenizer(vocab, json::array({json::array({"a", "a"}), json::array({"aa", "aa"})})));
  EXPECT_EQ(tok4->encode("aaaaaaaaa"), (std::vector<TokenId>{2, 2, 0}));
}

TEST(TokenizerBpe, BytesWithoutATokenAreDropped) {
  auto tok = load_json(small_tokenizer({{"a", 0}, {"b", 1}}, json::array()));
  EXPECT_EQ(tok->encode("axb"), (std::vector<TokenId>{0, 1}));
}

TEST(TokenizerAddedTokens, LongestMatchWinsAndStripOptionsApply) {
  const json vocab = {{"a", 0}, {"Ġ", 1}, {"b", 2}};
  const json added = json::array({
      {{"id", 3}, {"content", "<x>"}, {"special", true}},
      {{"id", 4}, {"content", "<x>>"}, {"special", true}},
      {{"id", 5}, {"content", "[M]"}, {"special", true}, {"lstrip", true}, {"rstrip", true}},
      {{"id", 6}, {"content", "ab"}, {"special", false}, {"single_word", true}},
  });
  auto tok = load_json(small_tokenizer(vocab, json::array(), added));
  EXPECT_EQ(tok->encode("a<x>>a<x>a"), (std::vector<TokenId>{0, 4, 0, 3, 0}));
  // [M] swallows the spaces on both sides.
  EXPECT_EQ(tok->encode("a  [M] b"), (std::vector<TokenId>{0, 5, 2}));
  // "ab" matches only as a whole word.
  EXPECT_EQ(tok->encode("a ab"), (std::vector<TokenId>{0, 1, 6}));
  EXPECT_EQ(tok->encode("aab"), (std::vector<TokenId>{0, 0, 2}));
  // Without special parsing the special tokens are text; the non-special one still matches.
  EXPECT_EQ(tok->encode("<x> ab", /*parse_special=*/false).back(), 6);
  EXPECT_EQ(tok->decode(std::vector<TokenId>{0, 5, 6}), "a[M]ab");
  EXPECT_EQ(tok->decode(std::vector<TokenId>{0, 5, 6}, /*skip_special=*/true), "aab");
}

TEST(Tokenizer, EmptyTextHasNoIds) {
  HEARTH_REQUIRE_SHARED();
  EXPECT_TRUE(qwen_tokenizer().encode("").empty());
  EXPECT_TRUE(qwen_tokenizer().encode("", false).empty());
  EXPECT_EQ(qwen_tokenizer().decode(std::vector<TokenId>{}), "");
}

std::string bytes_of(const Tokenizer& tok, const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += tok.token_bytes(id);
  return s;
}

TEST(Tokenizer, InvalidUtf8IsKeptByteForByte) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  const std::string inputs[] = {
      std::string("abc\xFF"
                  "def"),
      std::string("\xE4\xBD"),  // a truncated character at the end
      std::string("\xE4\xBD"
                  "A\xC0\xAF \xED\xA0\x80"),  // truncated, overlong, surrogate
      std::string("\x80\x80\x80 hello \xF0\x9F\x98"),
      std::string("a\0b", 3),
  };
  for (const std::string& text : inputs) {
    SCOPED_TRACE(testing::PrintToString(text));
    const std::vector<TokenId> ids = tok.encode(text);
    EXPECT_EQ(bytes_of(tok, ids), text);
  }
  // decode() replaces each maximal ill-formed subpart by U+FFFD, as Python's errors="replace".
  EXPECT_EQ(tok.decode(tok.encode(std::string("abc\xFF"
                                              "def"))),
            "abc\xEF\xBF\xBD"
            "def");
  EXPECT_EQ(tok.decode(tok.encode(std::string("\xE4\xBD"
                                              "A"))),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(tok.decode(tok.encode(std::string("\xED\xA0\x80"))), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tok.decode(tok.encode(std::string("a\0b", 3))), std::string("a\0b", 3));
}

TEST(Tokenizer, RandomBytesNeverFail) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    // ASCII mixed with bytes that can never start a character (continuation bytes, F8..FF): every
    // non-ASCII byte is ill-formed and ASCII is unchanged by NFC, so the bytes must come back exactly.
    std::string text(rng() % 48, '\0');
    for (char& c : text) {
      const unsigned r = rng() % 3;
      c = static_cast<char>(r == 0 ? 0x80 + rng() % 0x40 : r == 1 ? 0xF8 + rng() % 8 : rng() % 0x80);
    }
    const std::vector<TokenId> ids = tok.encode(text, i % 2 == 0);
    ASSERT_EQ(bytes_of(tok, ids), text) << testing::PrintToString(text);
    // Arbitrary bytes, valid sequences included: no exception, and decode is well-formed UTF-8.
    for (char& c : text) c = static_cast<char>(rng());
    const std::string decoded = tok.decode(tok.encode(text));
    ASSERT_TRUE(utf8::is_valid(decoded)) << testing::PrintToString(text);
  }
}

TEST(Tokenizer, ConcurrentEncodersAgreeWithTheReference) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  const auto& texts = test::tokenizer_reference()["texts"];
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          const auto& c = texts[(i + t) % texts.size()];
          if (tok.encode(c["text"].get<std::string>()) != test::ids_of(c["ids"])) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Tokenizer, LongAndRepetitiveInputsRoundTrip) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  std::string mixed;
  for (int i = 0; i < 2000; ++i) mixed += "word" + std::to_string(i) + ", 你好 \n\t  🚀 ";
  const std::string inputs[] = {std::string(100000, 'a'), std::string(50000, ' '), std::string(20000, '\n'), mixed};
  for (const std::string& text : inputs) {
    const std::vector<TokenId> ids = tok.encode(text);
    EXPECT_EQ(tok.decode(ids), text);
    EXPECT_LT(ids.size(), text.size());
  }
}

TEST(Tokenizer, VocabularyAccessors) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  // Qwen3: 151643 BPE entries + 26 added tokens.
  EXPECT_EQ(tok.vocab_size(), 151669);
  EXPECT_EQ(tok.token_id("<|im_end|>"), 151645);
  EXPECT_EQ(tok.token_id("<think>"), 151667);
  EXPECT_EQ(tok.token_id("Hello"), 9707);          // "Hello world" -> [9707, 1879]
  EXPECT_EQ(tok.token_id("\xC4\xA0world"), 1879);  // "Ġworld"
  EXPECT_FALSE(tok.token_id("no such token").has_value());
  EXPECT_EQ(tok.token_text(151644), "<|im_start|>");
  EXPECT_EQ(tok.token_text(1879), "\xC4\xA0world");
  EXPECT_EQ(tok.token_bytes(1879), " world");
  EXPECT_TRUE(tok.is_special(151644));
  EXPECT_FALSE(tok.is_special(151667));  // <think> is added but not special
  EXPECT_TRUE(tok.is_added(151667));
  EXPECT_FALSE(tok.is_added(9707));
  EXPECT_EQ(tok.token_kind(151700), TokenKind::kUnused);
  EXPECT_EQ(tok.pre_name(), "qwen2");
}

TEST(Tokenizer, SpecialIdsFromTokenizerConfig) {
  HEARTH_REQUIRE_SHARED();
  const Tokenizer& tok = qwen_tokenizer();
  // tokenizer_config.json: eos_token <|im_end|>, pad_token <|endoftext|>, bos_token null.
  EXPECT_EQ(tok.eos_id(), 151645);
  EXPECT_EQ(tok.pad_id(), 151643);
  EXPECT_FALSE(tok.bos_id().has_value());
  EXPECT_FALSE(tok.add_bos());
  EXPECT_TRUE(tok.is_eog(151645));
  EXPECT_TRUE(tok.is_eog(151643));
  EXPECT_FALSE(tok.is_eog(151644));
}

TEST(Tokenizer, ModelFilesFactoryKnowsThePaddedEmbedding) {
  HEARTH_REQUIRE_SHARED();
  const ModelFiles files = open_model_files(test::qwen_model_dir(), /*load_weights=*/false);
  const auto tok = load_tokenizer(files);
  EXPECT_EQ(tok->id_limit(), 151936);  // config.json vocab_size
  // Padding rows decode to nothing; past the embedding is an error naming the id.
  EXPECT_EQ(tok->decode(std::vector<TokenId>{9707, 151669, 151935, 1879}), "Hello world");
  try {
    tok->decode(std::vector<TokenId>{9707, 151936});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("151936"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tok->decode(std::vector<TokenId>{-1}), Error);
  // generation_config.json's eos_token_id [151645, 151643].
  EXPECT_EQ(tok->eog_ids(), (std::vector<TokenId>{151643, 151645}));
  // The tokenizer.json-only tokenizer does not know the embedding: 151669 is already out of range.
  EXPECT_THROW(qwen_tokenizer().decode(std::vector<TokenId>{151669}), Error);
}

TEST(TokenizerLoader, RejectsBrokenFilesWithTheirPath) {
  const json vocab = {{"a", 0}};
  const std::string not_json = load_error("{\"model\": ");
  EXPECT_NE(not_json.find("tokenizer.json"), std::string::npos) << not_json;
  EXPECT_NE(not_json.find("not valid JSON"), std::string::npos) << not_json;

  json wordpiece = small_tokenizer(vocab, json::array());
  wordpiece["model"]["type"] = "WordPiece";
  EXPECT_NE(load_error(wordpiece.dump()).find("WordPiece"), std::string::npos);

  json metaspace = small_tokenizer(vocab, json::array());
  metaspace["pre_tokenizer"] = {{"type", "Metaspace"}};
  EXPECT_NE(load_error(metaspace.dump()).find("Metaspace"), std::string::npos);

  json bad_regex = small_tokenizer(vocab, json::array());
  const json split = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  const json byte_level = {{"type", "ByteLevel"}, {"use_regex", false}};
  bad_regex["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", json::array({split, byte_level})}};
  EXPECT_NE(load_error(bad_regex.dump()).find("regex"), std::string::npos);

  json no_vocab = small_tokenizer(vocab, json::array());
  no_vocab["model"].erase("vocab");
  EXPECT_NE(load_error(no_vocab.dump()).find("vocab"), std::string::npos);

  json bad_merge = small_tokenizer(vocab, json::array({"ab"}));
  EXPECT_NE(load_error(bad_merge.dump()).find("merges"), std::string::npos);

  json bad_id = small_tokenizer({{"a", -4}}, json::array());
  EXPECT_NE(load_error(bad_id.dump()).find("invalid id"), std::string::npos);

  EXPECT_NE(load_error("").find("tokenizer.json"), std::string::npos);
  EXPECT_THROW(load_tokenizer_json("/nonexistent/tokenizer.json"), Error);
}

}  // namespace
}  // namespace hearth
