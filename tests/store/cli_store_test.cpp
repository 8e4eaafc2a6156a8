// The store commands end to end through the hearth binary (no registry): create, list, show, cp,
// rm, gc, and the one-line errors for bad input, which never change the store.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store_test_support.h"

namespace hearth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override { HEARTH_REQUIRE_SHARED(); }
  std::map<std::string, std::string> env() const { return {{"HEARTH_MODELS", store().string()}}; }
  fs::path store() const { return tmp_ / "store"; }
  fs::path model(const std::string& name) const { return shared_dir() / "models" / name; }
  CommandResult hearth(const std::string& args) const { return run_hearth_env(env(), args); }
  fs::path hearthfile(const std::string& text) const {
    fs::path p = tmp_ / "Hearthfile";
    std::ofstream(p) << text;
    return p;
  }
  std::size_t blob_count() const {
    if (!fs::exists(store() / "blobs")) return 0;
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(store() / "blobs"), fs::directory_iterator()));
  }
  TempDir tmp_;
};

TEST_F(StoreCliTest, CreateListShowCopyRemove) {
  fs::path hf =
      hearthfile("FROM " + model("qwen3moe-tiny").string() + "\nSYSTEM \"\"\"Be brief.\"\"\"\nPARAMETER top_k 20\n");
  CommandResult c = hearth("create moe -q -f " + shell_quote(hf.string()));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("created moe:latest", 0), 0u) << c.out;

  json list = json::parse(hearth("list --json").out)["models"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "moe:latest");
  EXPECT_EQ(list[0]["annotations"]["dev.hearth.model.kind"], "moe");
  std::uint64_t files = 0;
  for (const auto& e : fs::directory_iterator(model("qwen3moe-tiny"))) files += fs::file_size(e.path());
  EXPECT_GE(list[0]["size"].get<std::uint64_t>(), files);  // plus the config blob and text layers
  CommandResult table = hearth("list");
  EXPECT_NE(table.out.find("moe:latest"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("qwen3moe"), std::string::npos) << table.out;

  json info = json::parse(hearth("show --json moe").out);
  json config = json::parse(read_bytes(model("qwen3moe-tiny") / "config.json"));
  json tokenizer_config = json::parse(read_bytes(model("qwen3moe-tiny") / "tokenizer_config.json"));
  EXPECT_EQ(info["architecture"], "qwen3moe");
  EXPECT_EQ(info["moe"], true);
  EXPECT_EQ(info["experts"]["count"], config["num_experts"]);
  EXPECT_EQ(info["experts"]["used"], config["num_experts_per_tok"]);
  EXPECT_EQ(info["context_length"], config["max_position_embeddings"]);
  EXPECT_EQ(info["parameters"], safetensors_params(model("qwen3moe-tiny") / "model.safetensors"));
  EXPECT_LT(info["active_parameters"].get<std::uint64_t>(), info["parameters"].get<std::uint64_t>());
  EXPECT_EQ(info["template"], tokenizer_config["chat_template"]);
  EXPECT_EQ(info["system"], "Be brief.");
  EXPECT_EQ(hearth("show --template moe").out, tokenizer_config["chat_template"].get<std::string>() + "\n");
  EXPECT_EQ(hearth("show --system moe").out, "Be brief.\n");

  // cp shares blobs; rm of one name keeps them, rm of the last frees them.
  std::size_t blobs = blob_count();
  ASSERT_EQ(hearth("cp moe team/moe:v2").exit_code, 0);
  EXPECT_EQ(blob_count(), blobs);
  CommandResult rm1 = hearth("rm moe");
  ASSERT_EQ(rm1.exit_code, 0) << rm1.err;
  EXPECT_EQ(rm1.out, "deleted moe:latest\n");
  EXPECT_EQ(blob_count(), blobs);
  CommandResult rm2 = hearth("rm team/moe:v2");
  ASSERT_EQ(rm2.exit_code, 0) << rm2.err;
  EXPECT_NE(rm2.out.find("freed"), std::string::npos) << rm2.out;
  EXPECT_EQ(blob_count(), 0u);
  EXPECT_EQ(hearth("list --json").out, "{\"models\":[]}\n");
  CommandResult gc = hearth("gc --json");
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(json::parse(gc.out)["blobs_removed"], 0);
}

TEST_F(StoreCliTest, RmKeepBlobsThenGc) {
  ASSERT_EQ(hearth("create d -q -f " + shell_quote(hearthfile("FROM " + model("qwen2-tiny").string() + "\n").string()))
                .exit_code,
            0);
  std::size_t blobs = blob_count();
  ASSERT_EQ(hearth("rm --keep-blobs d").exit_code, 0);
  EXPECT_EQ(blob_count(), blobs);
  json dry = json::parse(hearth("gc --dry-run --json").out);
  EXPECT_EQ(dry["blobs_removed"], blobs);
  EXPECT_EQ(blob_count(), blobs);
  EXPECT_EQ(json::parse(hearth("gc --json").out)["blobs_removed"], blobs);
  EXPECT_EQ(blob_count(), 0u);
}

TEST_F(StoreCliTest, BadInputGivesOneLineErrorsAndChangesNothing) {
  ASSERT_EQ(
      hearth("create base -q -f " + shell_quote(hearthfile("FROM " + model("qwen3-tiny").string() + "\n").string()))
          .exit_code,
      0);
  std::size_t blobs = blob_count();
  // The listing without its clock-dependent field, so a slow (sanitizer) run compares only the store.
  auto listing = [&] {
    nlohmann::json j = nlohmann::json::parse(hearth("list --json").out);
    for (auto& m : j["models"]) m.erase("modified_seconds_ago");
    return j;
  };
  const nlohmann::json before = listing();

  expect_one_line_error(hearth("create x -f /nonexistent/Hearthfile"), "no such Hearthfile");
  expect_one_line_error(hearth("create x -f " + shell_quote(hearthfile("FROM ./nowhere\n").string())),
                        "no such file, folder or model");
  expect_one_line_error(hearth("create x -f " + shell_quote(hearthfile("FROM base\nWHATEVER 1\n").string())),
                        "Hearthfile line 2: unknown instruction 'WHATEVER'");
  expect_one_line_error(
      hearth("create x -f " +
             shell_quote(hearthfile("FROM " + (model("qwen3-tiny") / "config.json").string() + "\n").string())),
      "not a GGUF file or a model folder");
  // A folder that is not a model is refused before anything is copied.
  fs::create_directories(tmp_ / "notamodel");
  std::ofstream(tmp_ / "notamodel" / "config.json") << "{broken";
  expect_one_line_error(hearth("create x -f " + shell_quote(hearthfile("FROM ./notamodel\n").string())), "config.json");
  expect_one_line_error(hearth("create 'Bad Name' -f " + shell_quote(hearthfile("FROM base\n").string())),
                        "invalid model name");

  expect_one_line_error(hearth("show nothing-here"), "neither a file nor a model");
  expect_one_line_error(hearth("rm base nothing-here"), "model 'nothing-here' not found");
  expect_one_line_error(hearth("cp nothing-here x"), "not found");
  expect_one_line_error(hearth("cp base 'x y'"), "invalid model name");
  expect_one_line_error(hearth("pull --limit-rate fast base"), "not a valid rate");
  expect_one_line_error(hearth("search --params lots --registry http://127.0.0.1:9 --insecure"),
                        "not a valid parameter count");
  expect_one_line_error(hearth("show --template --license base"), "choose one of");

  // Nothing above touched the store.
  EXPECT_EQ(blob_count(), blobs);
  EXPECT_EQ(listing(), before);
}

TEST_F(StoreCliTest, CreateFromStoredModelOverridesLayers) {
  ASSERT_EQ(
      hearth("create base -q -f " +
             shell_quote(
                 hearthfile("FROM " + model("qwen3-tiny").string() + "\nSYSTEM one\nPARAMETER top_k 5\n").string()))
          .exit_code,
      0);
  std::size_t blobs = blob_count();
  CommandResult c =
      hearth("create derived -q -f " +
             shell_quote(hearthfile("FROM base\nSYSTEM two\nPARAMETER temperature 0.5\nLICENSE MIT\n").string()));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // The weights are shared; only the new text layers and config are added.
  EXPECT_LE(blob_count(), blobs + 4);
  json info = json::parse(hearth("show --json derived").out);
  EXPECT_EQ(info["system"], "two");
  EXPECT_EQ(info["params"]["top_k"], 5);  // kept from the base
  EXPECT_EQ(info["params"]["temperature"], 0.5);
  EXPECT_EQ(info["license"], "MIT");
  EXPECT_EQ(json::parse(hearth("show --json base").out)["system"], "one");
}

}  // namespace
}  // namespace hearth::test
