#include "demo/demo_model.h"

#include <gtest/gtest.h>

#include "demo/demo_corpus.h"
#include "format/model_files.h"
#include "format/model_tensors.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/mapped_file.h"

namespace hearth::demo {
namespace {

TEST(DemoModel, WritesALoadableQwen3MoeFolder) {
  test::TempDir dir;
  DemoModelInfo info = write_demo_model(dir.path().string());
  ModelFiles files = open_model_files(dir.path().string());
  EXPECT_EQ(files.config.arch, "qwen3moe");
  EXPECT_EQ(files.config.vocab_size, info.vocab_size);
  EXPECT_EQ(files.config.vocab_size % 64, 0);
  EXPECT_NO_THROW(check_weights(*files.weights, files.config));
  EXPECT_FALSE(files.chat_template.empty());

  auto tok = load_tokenizer(files);
  std::string text(demo_corpus());
  auto ids = tok->encode(text, false);
  EXPECT_LT(ids.size(), text.size() / 2);  // trained merges compress the training text
  EXPECT_EQ(tok->decode(ids), text);
  auto im_end = tok->token_id("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  EXPECT_TRUE(tok->is_eog(*im_end));
}

TEST(DemoModel, IsDeterministic) {
  test::TempDir a, b;
  write_demo_model(a.path().string(), 7);
  write_demo_model(b.path().string(), 7);
  for (const char* f : {"model.safetensors", "tokenizer.json", "config.json"}) {
    EXPECT_EQ(read_file((a / f).string()), read_file((b / f).string())) << f;
  }
}

}  // namespace
}  // namespace hearth::demo
