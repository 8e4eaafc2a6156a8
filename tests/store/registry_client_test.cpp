// Pieces of the registry client that need no server: WWW-Authenticate parsing, base64, URL
// resolution, retry delays, sizes and rates, progress-free helpers.
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "store/fs_util.h"
#include "store/http_client.h"
#include "store/registry_auth.h"
#include "store/registry_client.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::store {
namespace {

TEST(WwwAuthenticate, BearerChallengeAsDockerHubSendsIt) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/ubuntu:pull");
}

TEST(WwwAuthenticate, SeveralChallengesTokensAndEscapes) {
  auto c = parse_www_authenticate(R"(Basic realm="a \"quoted\" realm", Bearer realm=x,error=insufficient_scope)");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "a \"quoted\" realm");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("realm"), "x");
  EXPECT_EQ(c[1].param("error"), "insufficient_scope");
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_NO_THROW(parse_www_authenticate("Bearer realm=\"unterminated"));
}

TEST(Base64, RoundTripsAndKnownValues) {
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_THROW(base64_decode("!!"), Error);
}

TEST(Credentials, FromEnvironmentThenDockerConfig) {
  test::TempDir tmp;
  ::unsetenv("HEARTH_REGISTRY_USERNAME");
  ::unsetenv("HEARTH_REGISTRY_PASSWORD");
  ::setenv("DOCKER_CONFIG", tmp.path().c_str(), 1);
  EXPECT_FALSE(find_credentials("reg.example.com:5000").has_value());
  std::ofstream(tmp / "config.json") << R"({"auths":{"https://reg.example.com:5000/v1/":{"auth":")" +
                                            base64_encode("alice:pw") + R"("}}})";
  auto c = find_credentials("reg.example.com:5000");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "pw");
  EXPECT_FALSE(find_credentials("other.example.com").has_value());
  ::setenv("HEARTH_REGISTRY_USERNAME", "bob", 1);
  ::setenv("HEARTH_REGISTRY_PASSWORD", "secret", 1);
  EXPECT_EQ(find_credentials("other.example.com")->username, "bob");
  ::unsetenv("HEARTH_REGISTRY_USERNAME");
  ::unsetenv("HEARTH_REGISTRY_PASSWORD");
  ::unsetenv("DOCKER_CONFIG");
}

TEST(Urls, LocationResolution) {
  EXPECT_EQ(resolve_url("http://h:5000/v2/x/blobs/uploads/", "/v2/x/blobs/uploads/u1?_state=s"),
            "http://h:5000/v2/x/blobs/uploads/u1?_state=s");
  EXPECT_EQ(resolve_url("http://h/v2/x/blobs/uploads/", "https://s3.example/o?sig=1"), "https://s3.example/o?sig=1");
  EXPECT_EQ(resolve_url("http://h/v2/a/b?q=1", "c"), "http://h/v2/a/c");
  EXPECT_EQ(url_host("https://reg.example.com:443/v2/"), "reg.example.com:443");
  EXPECT_EQ(url_encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
}

TEST(Retry, BackoffDoublesWithJitterAndHonoursRetryAfter) {
  RetryPolicy p;
  p.base = std::chrono::milliseconds(100);
  p.cap = std::chrono::milliseconds(1000);
  for (int attempt = 0; attempt < 6; ++attempt) {
    double expected = std::min(100.0 * (1 << attempt), 1000.0);
    auto d = static_cast<double>(p.delay(attempt).count());
    EXPECT_GE(d, expected * 0.8 - 1) << attempt;
    EXPECT_LE(d, expected * 1.2 + 1) << attempt;
  }
  EXPECT_GE(p.delay(0, "7").count(), 7000);
  EXPECT_TRUE(is_transient_status(503));
  EXPECT_TRUE(is_transient_status(429));
  EXPECT_FALSE(is_transient_status(404));
  EXPECT_FALSE(is_transient_status(501));
}

TEST(Registry, PlainHttpNeedsInsecure) {
  EXPECT_THROW(RegistryClient("127.0.0.1:5000", RegistryOptions{false, "http"}), Error);
  EXPECT_EQ(RegistryClient("127.0.0.1:5000", RegistryOptions{true, std::nullopt}).base_url(), "http://127.0.0.1:5000");
  EXPECT_EQ(RegistryClient("reg.example.com", RegistryOptions{}).base_url(), "https://reg.example.com");
}

TEST(Units, SizesCountsAndRates) {
  EXPECT_EQ(human_bytes(17), "17 B");
  EXPECT_EQ(human_bytes(1500), "1.5 KB");
  EXPECT_EQ(human_bytes(18556685568ull), "19 GB");
  EXPECT_EQ(human_count(30532122624ull), "30.5B");
  EXPECT_EQ(human_count(3000000000ull), "3B");
  EXPECT_EQ(human_count(19671168), "19.7M");
  EXPECT_EQ(parse_count("32B"), 32000000000ull);
  EXPECT_EQ(parse_count("30.5b"), 30500000000ull);
  EXPECT_EQ(parse_count("800M"), 800000000ull);
  EXPECT_THROW(parse_count("lots"), Error);
  EXPECT_THROW(parse_count("3X"), Error);
  EXPECT_EQ(parse_rate("10M"), 10ull << 20);
  EXPECT_EQ(parse_rate("500k"), 500ull << 10);
  EXPECT_EQ(parse_rate("1.5MB/s"), 3ull << 19);
  EXPECT_EQ(parse_rate("4096"), 4096u);
  EXPECT_THROW(parse_rate("0"), Error);
  EXPECT_THROW(parse_rate("fast"), Error);
  EXPECT_EQ(printable("a\nb\x01"), "a\\nb\\x01");
  EXPECT_EQ(printable(std::string(300, 'x')).size(), 200u + std::string("…").size());
}

TEST(SafePaths, RejectEscapes) {
  EXPECT_EQ(safe_relative_path("a/b.json").string(), "a/b.json");
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a\\b"})
    EXPECT_THROW(safe_relative_path(bad), Error) << bad;
}

}  // namespace
}  // namespace hearth::store
