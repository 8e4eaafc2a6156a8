// Pull behaviours a stock registry does not show on demand, against an in-process fake: bearer-token
// authentication, blob redirects to another host (no credentials forwarded), transient 503s with
// retries, a connection dropped mid-blob and resumed with a Range request, pinned digests.
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_registry.h"
#include "store_test_support.h"

namespace hearth::test {
namespace {

using nlohmann::json;

std::string sha256_of(const std::string& bytes) {
  TempDir tmp;
  std::ofstream(tmp / "f", std::ios::binary) << bytes;
  return "sha256:" + coreutils_sha256(tmp / "f");
}

class FakeRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(42);
    weights_.resize(3 << 20);
    for (auto& c : weights_) c = static_cast<char>(rng());
    std::string config = R"({"model_format":"gguf","model_family":"qwen3"})";
    std::string tmpl = "{{ .Prompt }}";
    weights_digest_ = sha256_of(weights_);
    json m = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
        {"config",
         {{"mediaType", "application/vnd.docker.container.image.v1+json"},
          {"digest", sha256_of(config)},
          {"size", config.size()}}},
        {"layers",
         {{{"mediaType", "application/vnd.ollama.image.model"}, {"digest", weights_digest_}, {"size", weights_.size()}},
          {{"mediaType", "application/vnd.ollama.image.template"},
           {"digest", sha256_of(tmpl)},
           {"size", tmpl.size()}}}}};
    manifest_ = m.dump();
    manifest_digest_ = sha256_of(manifest_);
    fake_.add_blob(sha256_of(config), config);
    fake_.add_blob(weights_digest_, weights_);
    fake_.add_blob(sha256_of(tmpl), tmpl);
    fake_.add_manifest("library/tiny", "q4", manifest_, "application/vnd.docker.distribution.manifest.v2+json");
    fake_.add_manifest("library/tiny", manifest_digest_, manifest_,
                       "application/vnd.docker.distribution.manifest.v2+json");
  }

  std::map<std::string, std::string> env() const {
    return {{"HEARTH_MODELS", (tmp_ / "store").string()}, {"HEARTH_RETRY_BASE_MS", "20"}};
  }
  std::string name(const std::string& tag = "q4") const { return fake_.address() + "/library/tiny:" + tag; }
  std::string stored_weights() const {
    return read_bytes(tmp_ / "store/blobs" / ("sha256-" + weights_digest_.substr(7)));
  }

  TempDir tmp_;
  FakeRegistry fake_;
  std::string weights_, weights_digest_, manifest_, manifest_digest_;
};

TEST_F(FakeRegistryTest, BearerTokenRedirectsAndTransientFailures) {
  fake_.require_bearer = true;
  fake_.redirect_blobs = true;
  fake_.fail_blob_requests = 2;
  CommandResult r = run_hearth_env(env(), "pull --insecure " + name());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stored_weights(), weights_);
  EXPECT_GE(fake_.count("/token"), 1);
  bool saw_token_use = false;
  for (const auto& req : fake_.requests()) {
    if (req.path.rfind("/token", 0) == 0) {
      EXPECT_NE(req.path.find("scope=repository%3Alibrary%2Ftiny%3Apull"), std::string::npos) << req.path;
    }
    if (req.path.rfind("/v2/library/tiny/manifests/", 0) == 0 && !req.authorization.empty()) {
      EXPECT_EQ(req.authorization, "Bearer fake-token-123");
      saw_token_use = true;
    }
    // Blob storage on another host never sees the registry's credentials.
    if (req.path.rfind("/storage/", 0) == 0) {
      EXPECT_EQ(req.host.rfind("localhost:", 0), 0u) << req.host;
      EXPECT_TRUE(req.authorization.empty()) << req.authorization;
    }
  }
  EXPECT_TRUE(saw_token_use);
  CommandResult list = run_hearth_env(env(), "list --json");
  ASSERT_EQ(list.exit_code, 0);
  json models = json::parse(list.out)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["digest"], manifest_digest_);
}

TEST_F(FakeRegistryTest, DroppedConnectionContinuesWithARangeRequest) {
  fake_.drop_first_blob_after = 1 << 20;
  auto e = env();
  e["HEARTH_PULL_CONNECTIONS"] = "1";
  CommandResult r = run_hearth_env(e, "pull --insecure " + name());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stored_weights(), weights_);
  // The weights were requested twice: from 0, then from where the first answer stopped.
  std::vector<unsigned long long> starts;
  for (const auto& req : fake_.requests())
    if (req.method == "GET" && req.path.find(weights_digest_) != std::string::npos) {
      unsigned long long a = 0, b = 0;
      ASSERT_EQ(std::sscanf(req.range.c_str(), "bytes=%llu-%llu", &a, &b), 2) << req.range;
      starts.push_back(a);
    }
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0], 0u);
  EXPECT_GT(starts[1], 0u);
  EXPECT_LE(starts[1], 1u << 20);
}

TEST_F(FakeRegistryTest, PersistentFailureGivesOneLineErrorAfterRetries) {
  fake_.fail_blob_requests = 1000;
  auto e = env();
  e["HEARTH_PULL_RETRIES"] = "2";
  CommandResult r = run_hearth_env(e, "pull --insecure " + name());
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(nonempty_lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find("failed after 3 attempts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("503"), std::string::npos) << r.err;
  EXPECT_EQ(run_hearth_env(env(), "list --json").out, "{\"models\":[]}\n");
}

TEST_F(FakeRegistryTest, PinnedDigestIsVerified) {
  CommandResult ok = run_hearth_env(env(), "pull --insecure " + fake_.address() + "/library/tiny@" + manifest_digest_);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  // A registry answering a digest request with other bytes is refused.
  std::string other = "sha256:" + std::string(64, 'e');
  fake_.add_manifest("library/tiny", other, manifest_, "application/vnd.docker.distribution.manifest.v2+json");
  CommandResult bad = run_hearth_env(env(), "pull --insecure " + fake_.address() + "/library/tiny@" + other);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("tampered manifest"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace hearth::test
