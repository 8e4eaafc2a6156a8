// Integration tests against a real registry (Debian's docker-registry, started per test on a free
// 127.0.0.1 port with its storage in a temporary folder): push/pull round trips, tampering,
// interrupted and resumed pulls, disk-space checks, and the one-line errors users see.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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

fs::path model_dir(const std::string& name) { return shared_dir() / "models" / name; }

std::vector<fs::path> files_of(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().lexically_relative(dir));
  std::sort(out.begin(), out.end());
  return out;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HEARTH_REQUIRE_DOCKER_REGISTRY();
    HEARTH_REQUIRE_SHARED();
    registry_ = std::make_unique<LocalRegistry>();
  }

  std::map<std::string, std::string> env(const fs::path& store) const {
    return {{"HEARTH_MODELS", store.string()}, {"HEARTH_RETRY_BASE_MS", "50"}, {"HEARTH_REGISTRY", "invalid.example"}};
  }

  std::string remote(const std::string& name) const { return registry_->address() + "/library/" + name; }

  // Creates `name` from a shared Hugging Face folder in store A and pushes it as `remote_name`.
  void create_and_push(const std::string& folder, const std::string& remote_name, const std::string& extra = "") {
    fs::path hf = tmp_ / ("Hearthfile-" + folder);
    std::ofstream(hf) << "FROM " << model_dir(folder).string() << "\n" << extra;
    CommandResult c =
        run_hearth_env(env(store_a()), "create " + shell_quote(folder) + " -q -f " + shell_quote(hf.string()));
    ASSERT_EQ(c.exit_code, 0) << c.err;
    CommandResult cp =
        run_hearth_env(env(store_a()), "cp " + shell_quote(folder) + " " + shell_quote(remote(remote_name)));
    ASSERT_EQ(cp.exit_code, 0) << cp.err;
    CommandResult p = run_hearth_env(env(store_a()), "push --insecure " + shell_quote(remote(remote_name)));
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }

  fs::path store_a() const { return tmp_ / "store-a"; }
  fs::path store_b() const { return tmp_ / "store-b"; }

  TempDir tmp_;
  std::unique_ptr<LocalRegistry> registry_;
};

TEST_F(RegistryTest, PushThenPullRoundTripIsByteIdentical) {
  create_and_push("qwen3-tiny", "tiny:bf16",
                  "TEMPLATE \"\"\"{% for m in messages %}{{ m.content }}{% endfor %}\"\"\"\n"
                  "SYSTEM \"\"\"You are terse.\"\"\"\nPARAMETER temperature 0.25\nPARAMETER stop \"<|im_end|>\"\n"
                  "LICENSE \"\"\"Test licence text.\"\"\"\n");
  // Every file of the model is in the registry's storage, byte for byte.
  for (const auto& rel : files_of(model_dir("qwen3-tiny"))) {
    fs::path src = model_dir("qwen3-tiny") / rel;
    fs::path in_registry = registry_->blob_file("sha256:" + coreutils_sha256(src));
    ASSERT_TRUE(fs::exists(in_registry)) << rel;
    EXPECT_EQ(read_bytes(in_registry), read_bytes(src)) << rel;
  }

  CommandResult pull = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:bf16")));
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  // Not a terminal: JSON progress lines, the last one a success summary.
  std::vector<std::string> lines = nonempty_lines(pull.out);
  ASSERT_GE(lines.size(), 3u);
  for (const auto& l : lines) EXPECT_NO_THROW(json::parse(l)) << l;
  json last = json::parse(lines.back());
  EXPECT_EQ(last["status"], "success");
  EXPECT_EQ(last["model"], remote("tiny:bf16"));

  // The pulled blobs are the original files, and the model resolves to a folder holding them.
  CommandResult show = run_hearth_env(env(store_b()), "show --json " + shell_quote(remote("tiny:bf16")));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json info = json::parse(show.out);
  for (const auto& rel : files_of(model_dir("qwen3-tiny"))) {
    fs::path src = model_dir("qwen3-tiny") / rel;
    EXPECT_EQ(read_bytes(store_b() / "blobs" / ("sha256-" + coreutils_sha256(src))), read_bytes(src)) << rel;
    EXPECT_EQ(read_bytes(fs::path(info["path"].get<std::string>()) / rel), read_bytes(src)) << rel;
  }
  // What show reports comes from the model's own files.
  json config = json::parse(read_bytes(model_dir("qwen3-tiny") / "config.json"));
  EXPECT_EQ(info["architecture"], "qwen3");
  EXPECT_EQ(info["moe"], false);
  EXPECT_EQ(info["context_length"], config["max_position_embeddings"]);
  EXPECT_EQ(info["parameters"], safetensors_params(model_dir("qwen3-tiny") / "model.safetensors"));
  EXPECT_EQ(info["quantization"], "bf16");
  EXPECT_EQ(info["template"], "{% for m in messages %}{{ m.content }}{% endfor %}");
  EXPECT_EQ(info["system"], "You are terse.");
  EXPECT_EQ(info["params"]["temperature"], 0.25);
  EXPECT_EQ(info["params"]["stop"], json::array({"<|im_end|>"}));
  EXPECT_EQ(info["license"], "Test licence text.");

  // Pulling again downloads nothing.
  std::size_t before = registry_->log_lines();
  CommandResult again = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:bf16")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(registry_->blob_gets(before), 0u);
  EXPECT_EQ(json::parse(nonempty_lines(again.out).back())["downloaded"], 0);
}

TEST_F(RegistryTest, GgufModelRoundTrip) {
  fs::path gguf = tmp_ / "qwen3-tiny-f16.gguf";
  CommandResult conv = run_hearth_env(env(store_a()), "convert -q --type f16 -o " + shell_quote(gguf.string()) + " " +
                                                          shell_quote(model_dir("qwen3-tiny").string()));
  if (conv.exit_code != 0) GTEST_SKIP() << "hearth convert is not available: " << conv.err;
  std::ofstream(tmp_ / "Hearthfile") << "FROM ./qwen3-tiny-f16.gguf\nPARAMETER num_ctx 2048\n";
  ASSERT_EQ(
      run_hearth_env(env(store_a()), "create tiny-gguf -q -f " + shell_quote((tmp_ / "Hearthfile").string())).exit_code,
      0);
  ASSERT_EQ(run_hearth_env(env(store_a()), "cp tiny-gguf " + shell_quote(remote("tiny:f16"))).exit_code, 0);
  CommandResult push = run_hearth_env(env(store_a()), "push --insecure " + shell_quote(remote("tiny:f16")));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  CommandResult pull = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:f16")));
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  // The model resolves to its GGUF blob: the converted file, byte for byte.
  CommandResult show = run_hearth_env(env(store_b()), "show --json " + shell_quote(remote("tiny:f16")));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json info = json::parse(show.out);
  EXPECT_EQ(info["path"], (store_b() / "blobs" / ("sha256-" + coreutils_sha256(gguf))).string());
  EXPECT_EQ(read_bytes(info["path"].get<std::string>()), read_bytes(gguf));
  EXPECT_EQ(info["format"], "gguf");
  EXPECT_EQ(info["architecture"], "qwen3");
  EXPECT_EQ(info["quantization"], "f16");
  EXPECT_EQ(info["parameters"], safetensors_params(model_dir("qwen3-tiny") / "model.safetensors"));
  EXPECT_EQ(info["params"]["num_ctx"], 2048);
  // --output writes the GGUF as a plain file.
  fs::path out = tmp_ / "out";
  ASSERT_EQ(run_hearth_env(env(store_b()),
                           "pull --insecure -o " + shell_quote(out.string()) + " " + shell_quote(remote("tiny:f16")))
                .exit_code,
            0);
  EXPECT_EQ(read_bytes(out / "model.gguf"), read_bytes(gguf));
  EXPECT_EQ(read_bytes(out / "params.json"), R"({"num_ctx":2048})");
}

TEST_F(RegistryTest, MixtureOfExpertsParametersAndSearch) {
  create_and_push("qwen3moe-tiny", "moe:bf16");
  create_and_push("qwen2-tiny", "dense:bf16");
  json config = json::parse(read_bytes(model_dir("qwen3moe-tiny") / "config.json"));

  CommandResult moe = run_hearth_env(
      env(tmp_ / "s"), "search --insecure --registry http://" + registry_->address() + " --arch moe --json");
  ASSERT_EQ(moe.exit_code, 0) << moe.err;
  json hits = json::parse(moe.out)["models"];
  ASSERT_EQ(hits.size(), 1u) << moe.out;
  EXPECT_EQ(hits[0]["name"], remote("moe:bf16"));
  const json& a = hits[0]["annotations"];
  EXPECT_EQ(a["dev.hearth.model.architecture"], "qwen3moe");
  // Active parameters: every expert tensor counts num_experts_per_tok / num_experts.
  std::uint64_t total = safetensors_params(model_dir("qwen3moe-tiny") / "model.safetensors");
  EXPECT_EQ(a["dev.hearth.model.parameters"], std::to_string(total));
  std::uint64_t expert = safetensors_expert_params(model_dir("qwen3moe-tiny") / "model.safetensors");
  double unused = static_cast<double>(expert) *
                  (config["num_experts"].get<double>() - config["num_experts_per_tok"].get<double>()) /
                  config["num_experts"].get<double>();
  EXPECT_EQ(a["dev.hearth.model.active_parameters"],
            std::to_string(total - static_cast<std::uint64_t>(std::llround(unused))));
  EXPECT_EQ(a["dev.hearth.model.context_length"], std::to_string(config["max_position_embeddings"].get<int>()));

  auto names = [&](const std::string& args) {
    CommandResult r = run_hearth_env(env(tmp_ / "s"),
                                     "search --insecure --registry http://" + registry_->address() + " --json " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    const json models = json::parse(r.out)["models"];
    for (const auto& h : models) out.push_back(h["name"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names("--arch dense"), std::vector<std::string>{remote("dense:bf16")});
  EXPECT_EQ(names("--arch qwen2"), std::vector<std::string>{remote("dense:bf16")});
  EXPECT_EQ(names("--quant bf16").size(), 2u);
  EXPECT_TRUE(names("--quant fp16").empty());
  EXPECT_EQ(names("moe"), std::vector<std::string>{remote("moe:bf16")});
  std::string params = std::to_string(total);
  EXPECT_EQ(names("--params " + params + " --arch moe"), std::vector<std::string>{remote("moe:bf16")});
  EXPECT_TRUE(names("--params 32B").empty());
  // The human form works too ("19.7M").
  CommandResult table = run_hearth_env(env(tmp_ / "s"), "search --insecure --registry http://" + registry_->address());
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("qwen3moe"), std::string::npos) << table.out;
}

TEST_F(RegistryTest, TamperedBlobIsRefusedAndNothingEntersTheStore) {
  create_and_push("qwen3-tiny", "tiny:bf16");
  fs::path weights = model_dir("qwen3-tiny") / "model.safetensors";
  std::string digest = "sha256:" + coreutils_sha256(weights);
  fs::path data = registry_->blob_file(digest);
  auto flip_middle_byte = [&] {
    // Same size, one byte changed, in the registry's own storage.
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(data) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(data) / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  };
  flip_middle_byte();
  CommandResult r = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:bf16")));
  expect_one_line_error(r, "digest mismatch");
  EXPECT_NE(r.err.find(digest.substr(0, 19)), std::string::npos) << r.err;
  // Nothing of the model is visible: no manifest, no blob at all, no partial data of the bad blob.
  CommandResult list = run_hearth_env(env(store_b()), "list --json");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(json::parse(list.out)["models"].empty());
  EXPECT_FALSE(fs::exists(store_b() / "blobs") && !fs::is_empty(store_b() / "blobs"));
  for (const auto& e : fs::directory_iterator(store_b() / "partial"))
    EXPECT_EQ(e.path().filename().string().find(digest.substr(7)), std::string::npos) << e.path();

  // Once the registry serves the right bytes again, the pull completes, reusing what it verified.
  flip_middle_byte();
  CommandResult again = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:bf16")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_GT(json::parse(nonempty_lines(again.out).back())["resumed"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(read_bytes(store_b() / "blobs" / ("sha256-" + digest.substr(7))), read_bytes(weights));
}

TEST_F(RegistryTest, KilledPullResumesAndFetchesOnlyWhatIsMissing) {
  create_and_push("qwen3moe-tiny", "moe:bf16");
  std::uint64_t total = 0;
  for (const auto& rel : files_of(model_dir("qwen3moe-tiny"))) total += fs::file_size(model_dir("qwen3moe-tiny") / rel);

  // A slow pull (4 MiB/s), killed with SIGKILL once 60% has arrived.
  auto e = env(store_b());
  e["HEARTH_PULL_PART_SIZE"] = std::to_string(8 << 20);  // several parts per large blob
  HearthProcess pull(e, {"pull", "--insecure", "--limit-rate", "4M", remote("moe:bf16")});
  std::map<std::string, std::uint64_t> completed;
  std::string line;
  bool killed = false;
  while (pull.read_line(line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("digest") || !j.contains("completed")) continue;
    completed[j["digest"]] = j["completed"];
    std::uint64_t sum = 0;
    for (const auto& [d, c] : completed) sum += c;
    if (sum * 10 >= total * 6) {
      pull.kill9();
      killed = true;
      break;
    }
  }
  ASSERT_TRUE(killed) << "the pull ended before it could be interrupted";
  EXPECT_EQ(pull.wait(), 128 + SIGKILL);
  // The interrupted pull left no model, only resumable state beside the store.
  EXPECT_FALSE(fs::exists(store_b() / "manifests"));
  EXPECT_FALSE(fs::is_empty(store_b() / "partial"));

  registry_->wait_for_quiet_log();
  std::size_t resume_start = registry_->log_lines();
  CommandResult again = run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("moe:bf16")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json summary = json::parse(nonempty_lines(again.out).back());
  std::uint64_t resumed = summary["resumed"].get<std::uint64_t>();
  // What was on disk (up to a second behind the kill at 60%) is kept...
  EXPECT_GE(resumed, total / 4);
  // ...and the registry sent exactly the rest, nothing twice (the model is its files plus a small
  // config blob).
  std::uint64_t model_total = summary["total"].get<std::uint64_t>();
  EXPECT_GE(model_total, total);
  EXPECT_LT(model_total, total + 4096);
  EXPECT_EQ(registry_->blob_bytes_sent(resume_start), model_total - resumed);
  EXPECT_EQ(summary["downloaded"].get<std::uint64_t>(), model_total - resumed);
  for (const auto& rel : files_of(model_dir("qwen3moe-tiny"))) {
    fs::path src = model_dir("qwen3moe-tiny") / rel;
    EXPECT_EQ(read_bytes(store_b() / "blobs" / ("sha256-" + coreutils_sha256(src))), read_bytes(src)) << rel;
  }
  EXPECT_TRUE(fs::is_empty(store_b() / "partial"));
}

TEST_F(RegistryTest, RegistryRefusesACorruptLocalBlobOnPush) {
  fs::path hf = tmp_ / "Hearthfile";
  std::ofstream(hf) << "FROM " << model_dir("qwen2-tiny").string() << "\n";
  ASSERT_EQ(run_hearth_env(env(store_a()), "create d -q -f " + shell_quote(hf.string())).exit_code, 0);
  // Damage the weights blob in the local store (same size, one byte flipped).
  fs::path weights = model_dir("qwen2-tiny") / "model.safetensors";
  fs::path blob = store_a() / "blobs" / ("sha256-" + coreutils_sha256(weights));
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x7f');
  }
  ASSERT_EQ(run_hearth_env(env(store_a()), "cp d " + shell_quote(remote("d:bf16"))).exit_code, 0);
  CommandResult r = run_hearth_env(env(store_a()), "push --insecure " + shell_quote(remote("d:bf16")));
  expect_one_line_error(r, "do not match the digest");
  // The tag was not created.
  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("d:bf16"))),
                        "not found");
}

TEST_F(RegistryTest, SmallDiskIsReportedBeforeAnyDownload) {
  create_and_push("qwen3-tiny", "tiny:bf16");
  std::size_t start = registry_->log_lines();
  auto e = env(store_b());
  e["HEARTH_FREE_DISK_BYTES"] = "10000000";  // 10 MB free for a 31 MB model
  CommandResult r = run_hearth_env(e, "pull --insecure " + shell_quote(remote("tiny:bf16")));
  expect_one_line_error(r, "not enough disk space");
  EXPECT_EQ(registry_->blob_gets(start), 0u) << registry_->log();
  EXPECT_FALSE(fs::exists(store_b() / "blobs"));
}

TEST_F(RegistryTest, OneLineErrorsForMissingTagWrongAddressAndPlainHttp) {
  create_and_push("qwen3-tiny", "tiny:bf16");
  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("tiny:nope"))),
                        "not found");
  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(remote("absent:v1"))),
                        "not found");
  std::string nowhere = "127.0.0.1:" + std::to_string(unused_port());
  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure " + nowhere + "/library/tiny:bf16"),
                        "cannot reach registry " + nowhere);
  expect_one_line_error(run_hearth_env(env(store_b()), "pull " + shell_quote(remote("tiny:bf16"))), "--insecure");
  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure 'bad name!'"), "invalid model name");
  EXPECT_FALSE(fs::exists(store_b() / "blobs"));
}

TEST_F(RegistryTest, AuthenticationRequiredGivesOneLineErrorAndCredentialsWork) {
  LocalRegistry secured("hearth", "s3cret");
  create_and_push("qwen3-tiny", "tiny:bf16");  // into the open registry: store A holds the model
  std::string name = secured.address() + "/library/tiny:bf16";
  ASSERT_EQ(run_hearth_env(env(store_a()), "cp qwen3-tiny " + shell_quote(name)).exit_code, 0);

  CommandResult anonymous = run_hearth_env(env(store_a()), "push --insecure " + shell_quote(name));
  expect_one_line_error(anonymous, "401");
  EXPECT_NE(anonymous.err.find("requires authentication"), std::string::npos) << anonymous.err;

  auto wrong = env(store_a());
  wrong["HEARTH_REGISTRY_USERNAME"] = "hearth";
  wrong["HEARTH_REGISTRY_PASSWORD"] = "wrong";
  expect_one_line_error(run_hearth_env(wrong, "push --insecure " + shell_quote(name)), "rejected the credentials");

  auto right = env(store_a());
  right["HEARTH_REGISTRY_USERNAME"] = "hearth";
  right["HEARTH_REGISTRY_PASSWORD"] = "s3cret";
  CommandResult pushed = run_hearth_env(right, "push --insecure " + shell_quote(name));
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;

  expect_one_line_error(run_hearth_env(env(store_b()), "pull --insecure " + shell_quote(name)), "401");
  auto pull_env = env(store_b());
  pull_env["HEARTH_REGISTRY_USERNAME"] = "hearth";
  pull_env["HEARTH_REGISTRY_PASSWORD"] = "s3cret";
  CommandResult pulled = run_hearth_env(pull_env, "pull --insecure " + shell_quote(name));
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  fs::path weights = model_dir("qwen3-tiny") / "model.safetensors";
  EXPECT_EQ(read_bytes(store_b() / "blobs" / ("sha256-" + coreutils_sha256(weights))), read_bytes(weights));
}

TEST_F(RegistryTest, VariantsAndOutputFolder) {
  create_and_push("qwen3-tiny", "tiny:v1-bf16");
  // --variant finds the tag "<tag>-<variant>".
  CommandResult r = run_hearth_env(env(store_b()), "pull --insecure --variant BF16 " + shell_quote(remote("tiny:v1")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(nonempty_lines(r.out).back())["model"], remote("tiny:v1-bf16"));
  expect_one_line_error(
      run_hearth_env(env(store_b()), "pull --insecure --variant q4_k_m " + shell_quote(remote("tiny:v1"))),
      "has no variant 'q4_k_m' (offered: bf16)");

  // --output writes the files themselves, no store involved.
  fs::path out = tmp_ / "out";
  CommandResult o = run_hearth_env(env(tmp_ / "unused-store"), "pull --insecure --output " + shell_quote(out.string()) +
                                                                   " " + shell_quote(remote("tiny:v1-bf16")));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const auto& rel : files_of(model_dir("qwen3-tiny")))
    EXPECT_EQ(read_bytes(out / rel), read_bytes(model_dir("qwen3-tiny") / rel)) << rel;
  EXPECT_FALSE(fs::exists(tmp_ / "unused-store"));
  EXPECT_FALSE(fs::exists(out / ".hearth-partial"));
}

}  // namespace
}  // namespace hearth::test
