// Model reference syntax: [REGISTRY/][NAMESPACE/]NAME[:TAG][@DIGEST].
#include <cstdlib>

#include <gtest/gtest.h>

#include "store/reference.h"
#include "util/error.h"

namespace hearth::store {
namespace {

class ReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("HEARTH_REGISTRY"); }
};

TEST_F(ReferenceTest, ShortNameUsesDefaults) {
  ModelReference r = parse_reference("qwen3:30b-a3b");
  EXPECT_EQ(r.registry, "registry.ollama.ai");
  EXPECT_EQ(r.namespace_, "library");
  EXPECT_EQ(r.name, "qwen3");
  EXPECT_EQ(r.tag, "30b-a3b");
  EXPECT_EQ(r.repository(), "library/qwen3");
  EXPECT_EQ(r.display(), "qwen3:30b-a3b");
  EXPECT_EQ(r.full(), "registry.ollama.ai/library/qwen3:30b-a3b");
  EXPECT_EQ(parse_reference("qwen3").tag, "latest");
}

TEST_F(ReferenceTest, RegistryWithPortAndNamespace) {
  ModelReference r = parse_reference("127.0.0.1:5000/library/tiny:q8_0");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.namespace_, "library");
  EXPECT_EQ(r.name, "tiny");
  EXPECT_EQ(r.tag, "q8_0");
  EXPECT_EQ(r.display(), "127.0.0.1:5000/library/tiny:q8_0");

  ModelReference n = parse_reference("registry.example.com/acme/team/model");
  EXPECT_EQ(n.registry, "registry.example.com");
  EXPECT_EQ(n.namespace_, "acme/team");
  EXPECT_EQ(n.name, "model");
  EXPECT_EQ(n.tag, "latest");

  // A port-less first component without '.' is a namespace, not a registry (Docker's rule).
  ModelReference ns = parse_reference("acme/model:v1");
  EXPECT_EQ(ns.registry, "registry.ollama.ai");
  EXPECT_EQ(ns.namespace_, "acme");
  EXPECT_EQ(ns.display(), "acme/model:v1");
  EXPECT_EQ(parse_reference("localhost/m").registry, "localhost");
}

TEST_F(ReferenceTest, CaseRules) {
  ModelReference r = parse_reference("Registry.Example.COM/Acme/Qwen3:Q4_K_M");
  EXPECT_EQ(r.registry, "registry.example.com");
  EXPECT_EQ(r.repository(), "acme/qwen3");
  EXPECT_EQ(r.tag, "Q4_K_M");  // tags keep their case
}

TEST_F(ReferenceTest, Digest) {
  std::string d = "sha256:" + std::string(64, 'b');
  ModelReference r = parse_reference("127.0.0.1:5000/x/y@" + d);
  EXPECT_EQ(r.digest, d);
  EXPECT_EQ(r.tag, "latest");
  EXPECT_THROW(parse_reference("y@sha256:abc"), Error);
}

TEST_F(ReferenceTest, InvalidInputGivesOneLineErrors) {
  for (const char* bad : {"", "a b", "tiny:", "tiny:-x", "/tiny", "ns//tiny", "tiny/", "ti..ny", "-tiny", "tiny:a/b",
                          "127.0.0.1:99999/x/y", "bad_host:1/x/y", "x\ny"}) {
    try {
      parse_reference(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_FALSE(msg.empty());
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(parse_reference(std::string(300, 'a')), Error);
  EXPECT_THROW(parse_reference("t:" + std::string(129, 'a')), Error);
}

TEST_F(ReferenceTest, PathComponentGrammar) {
  EXPECT_TRUE(is_valid_path_component("qwen3"));
  EXPECT_TRUE(is_valid_path_component("qwen2.5-coder"));
  EXPECT_TRUE(is_valid_path_component("a__b"));
  EXPECT_TRUE(is_valid_path_component("a---b"));
  EXPECT_FALSE(is_valid_path_component("a___b"));
  EXPECT_FALSE(is_valid_path_component("a._b"));
  EXPECT_FALSE(is_valid_path_component(".a"));
  EXPECT_FALSE(is_valid_path_component("a-"));
  EXPECT_FALSE(is_valid_path_component("A"));
  EXPECT_TRUE(is_valid_tag("Q4_K_M"));
  EXPECT_TRUE(is_valid_tag("_x.y-z"));
  EXPECT_FALSE(is_valid_tag(".x"));
}

TEST_F(ReferenceTest, DefaultRegistryFromEnvironment) {
  ::setenv("HEARTH_REGISTRY", "http://models.internal:5000", 1);
  ModelReference r = parse_reference("tiny");
  EXPECT_EQ(r.registry, "models.internal:5000");
  EXPECT_EQ(r.display(), "tiny:latest");
  ::unsetenv("HEARTH_REGISTRY");
}

TEST_F(ReferenceTest, RegistryEndpoint) {
  RegistryEndpoint e = parse_registry_endpoint("http://127.0.0.1:5000/");
  EXPECT_EQ(e.host, "127.0.0.1:5000");
  EXPECT_EQ(e.scheme, "http");
  EXPECT_FALSE(parse_registry_endpoint("reg.example.com").scheme.has_value());
  EXPECT_THROW(parse_registry_endpoint("ftp://x"), Error);
  EXPECT_THROW(parse_registry_endpoint("http://x/v2/"), Error);
}

}  // namespace
}  // namespace hearth::store
