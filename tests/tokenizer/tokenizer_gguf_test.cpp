// A tokenizer read from GGUF metadata behaves exactly like the one read from tokenizer.json. The
// GGUF is written by the format library's converter (write_hf_tokenizer, as `hearth convert`
// does) and the expectations are the reference ids, not the other tokenizer's output.
#include <gtest/gtest.h>

#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/hf_tokenizer_gguf.h"
#include "test_support.h"
#include "tokenizer/detokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer_test_data.h"
#include "util/error.h"

namespace hearth {
namespace {

using test::ids_of;

constexpr std::int64_t kEmbeddingRows = 151936;

class GgufTokenizer : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(test::shared_dir() / "models")) return;
    dir_ = new test::TempDir;
    const std::string path = (*dir_ / "tokenizer.gguf").string();
    GgufWriter writer(path);
    writer.add_metadata("general.architecture", GgufValue::str("qwen3"));
    write_hf_tokenizer(writer, test::qwen_model_dir(), kEmbeddingRows);
    writer.finish();
    file_ = new GgufFile(path);
    tokenizer_ = load_tokenizer_gguf(*file_).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete file_;
    delete dir_;
  }
  void SetUp() override { HEARTH_REQUIRE_SHARED(); }

  static const Tokenizer& tok() { return *tokenizer_; }

  static inline test::TempDir* dir_ = nullptr;
  static inline GgufFile* file_ = nullptr;
  static inline Tokenizer* tokenizer_ = nullptr;
};

TEST_F(GgufTokenizer, ReferenceTextsAndChats) {
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    SCOPED_TRACE(c["text"].get<std::string>());
    EXPECT_EQ(tok().encode(c["text"].get<std::string>()), ids_of(c["ids"]));
    EXPECT_EQ(tok().decode(ids_of(c["ids"])), c["decoded"].get<std::string>());
  }
  for (const auto& c : test::tokenizer_reference()["chats"]) {
    SCOPED_TRACE(c["rendered"].get<std::string>());
    EXPECT_EQ(tok().encode(c["rendered"].get<std::string>()), ids_of(c["ids"]));
  }
}

TEST_F(GgufTokenizer, GgmlVocabQwen2Cases) {
  const auto cases = test::ggml_vocab_qwen2_cases();
  ASSERT_EQ(cases.size(), 46u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(tok().encode(c.text, /*parse_special=*/false), c.ids);
    EXPECT_EQ(tok().decode(c.ids), c.text);
  }
}

TEST_F(GgufTokenizer, PaddedVocabularyAndSpecials) {
  // The token list is padded to the embedding with unused "[PAD<id>]" entries.
  EXPECT_EQ(tok().vocab_size(), kEmbeddingRows);
  EXPECT_EQ(tok().decode(std::vector<TokenId>{9707, 151669, 151935, 1879}), "Hello world");
  EXPECT_THROW(tok().decode(std::vector<TokenId>{151936}), Error);
  StreamingDetokenizer d(tok());
  EXPECT_EQ(d.push(151700), "");
  for (TokenId id : tok().encode("[PAD151700]")) EXPECT_LT(id, 151669) << "padding entries are never matched";
  EXPECT_EQ(tok().pre_name(), "qwen2");
  EXPECT_EQ(tok().eos_id(), 151645);
  EXPECT_EQ(tok().pad_id(), 151643);
  EXPECT_FALSE(tok().add_bos());
  EXPECT_TRUE(tok().is_eog(151645));
  EXPECT_TRUE(tok().is_eog(151643));
  EXPECT_TRUE(tok().is_special(151644));
  EXPECT_EQ(tok().encode("<think>", /*parse_special=*/false), (std::vector<TokenId>{151667}));
}

// A GGUF holding only the given tokenizer keys.
std::string gguf_error(const test::TempDir& dir, const std::vector<std::pair<std::string, GgufValue>>& keys) {
  const std::string path = (dir / "bad.gguf").string();
  {
    GgufWriter w(path);
    for (const auto& [k, v] : keys) w.add_metadata(k, v);
    w.finish();
  }
  GgufFile f(path);
  try {
    load_tokenizer_gguf(f);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GgufTokenizerErrors, NamesTheProblem) {
  test::TempDir dir;
  const auto tokens = GgufValue::string_array({"a", "b", "ab"});
  EXPECT_NE(gguf_error(dir, {}).find("tokenizer.ggml.model"), std::string::npos);
  EXPECT_NE(gguf_error(dir, {{"tokenizer.ggml.model", GgufValue::str("llama")}, {"tokenizer.ggml.tokens", tokens}})
                .find("'llama'"),
            std::string::npos);
  EXPECT_NE(gguf_error(dir, {{"tokenizer.ggml.model", GgufValue::str("gpt2")},
                             {"tokenizer.ggml.pre", GgufValue::str("chatglm-bpe")},
                             {"tokenizer.ggml.tokens", tokens}})
                .find("chatglm-bpe"),
            std::string::npos);
  EXPECT_NE(gguf_error(dir, {{"tokenizer.ggml.model", GgufValue::str("gpt2")},
                             {"tokenizer.ggml.pre", GgufValue::str("qwen2")},
                             {"tokenizer.ggml.tokens", tokens},
                             {"tokenizer.ggml.token_type", GgufValue::int32_array({1, 1})}})
                .find("token_type"),
            std::string::npos);
  EXPECT_NE(gguf_error(dir, {{"tokenizer.ggml.model", GgufValue::str("gpt2")},
                             {"tokenizer.ggml.pre", GgufValue::str("qwen2")},
                             {"tokenizer.ggml.tokens", tokens},
                             {"tokenizer.ggml.merges", GgufValue::string_array({"ab"})}})
                .find("merges"),
            std::string::npos);
  // A small but well-formed one loads.
  EXPECT_EQ(gguf_error(dir, {{"tokenizer.ggml.model", GgufValue::str("gpt2")},
                             {"tokenizer.ggml.pre", GgufValue::str("qwen2")},
                             {"tokenizer.ggml.tokens", tokens},
                             {"tokenizer.ggml.merges", GgufValue::string_array({"a b"})}}),
            "(no error)");
}

}  // namespace
}  // namespace hearth
