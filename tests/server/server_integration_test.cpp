// The real `hearth serve --fake-engine` over real sockets: status codes for bad input, limits, slow and
// vanishing clients, overload, graceful shutdown, configuration errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "server/fake_engine.h"
#include "server_process.h"
#include "test_support.h"

namespace hearth::server::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kChat = R"({"model":"fake","messages":[{"role":"user","content":"Hi"}]})";

std::string chat_body(const json& extra) {
  json j = json::parse(kChat);
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j.dump();
}

// The value of a metric line such as `hearth_requests_running{model="fake"} 0`, or -1.
double metric(int port, const std::string& series) {
  const std::string text = http(port, "GET", "/metrics").body;
  auto pos = text.find(series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 1));
}

// Polls (bounded) until `pred` holds.
bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess({}); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }
  static ServerProcess* server_;
};
ServerProcess* ServeTest::server_ = nullptr;

TEST_F(ServeTest, ChatCompletionOverHttp) {
  HttpReply r = http(port(), "POST", "/v1/chat/completions", kChat);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(r.body)["choices"][0]["message"]["content"], kFakeText);
}

TEST_F(ServeTest, StreamingIsChunkedSse) {
  HttpReply r = http(port(), "POST", "/v1/chat/completions", chat_body({{"stream", true}, {"max_tokens", 3}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.body.rfind("data: {", 0), 0u);
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n")) << r.body;
}

TEST_F(ServeTest, BadInputGetsTheRightStatusAndJson) {
  HttpReply r = http(port(), "POST", "/v1/chat/completions", "{\"messages\": [");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "invalid_request_error");
  r = http(port(), "POST", "/v1/chat/completions", chat_body({{"max_tokens", "ten"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "max_tokens");
  r = http(port(), "POST", "/v1/chat/completions", chat_body({{"model", "nope"}}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "model_not_found");
  r = http(port(), "POST", "/api/chat", R"({"model":"nope","messages":[]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"], "model 'nope' not found");
  r = http(port(), "GET", "/v1/unknown");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(json::parse(r.body)["error"].is_object());
}

TEST_F(ServeTest, MalformedHttpIs400AndClosesOnlyThatConnection) {
  int fd = connect_local(port());
  send_all(fd, "THIS IS NOT HTTP\r\n\r\n");
  HttpReply r = parse_reply(read_until_close(fd, 10s));
  close(fd);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(json::parse(r.body)["error"]["message"].is_string());
  EXPECT_EQ(http(port(), "GET", "/health").status, 200);
}

TEST_F(ServeTest, KeepAliveAndPipelining) {
  int fd = connect_local(port());
  const std::string body = R"({"prompt":"Hi there!","max_tokens":1})";
  send_all(fd,
           "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"
           "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body +
               "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string raw = read_until_close(fd, 20s);
  close(fd);
  // Three responses, in order, on one connection.
  std::vector<std::size_t> starts;
  for (std::size_t p = raw.find("HTTP/1.1 "); p != std::string::npos; p = raw.find("HTTP/1.1 ", p + 1)) {
    starts.push_back(p);
  }
  ASSERT_EQ(starts.size(), 3u) << raw;
  EXPECT_NE(raw.find("\"object\":\"list\""), std::string::npos);
  EXPECT_NE(raw.find("\"text\":\"Hello\""), std::string::npos);
  EXPECT_LT(raw.find("\"object\":\"list\""), raw.find("\"text\":\"Hello\""));
  EXPECT_LT(raw.find("\"text\":\"Hello\""), raw.find("\"status\":\"ok\""));
}

TEST_F(ServeTest, ExpectContinue) {
  int fd = connect_local(port());
  const std::string body = chat_body({{"max_tokens", 1}});
  send_all(fd,
           "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
           "Content-Length: " +
               std::to_string(body.size()) + "\r\n\r\n");
  std::string interim = read_until(fd, "\r\n\r\n", 10s);
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue", 0), 0u) << interim;
  send_all(fd, body);
  HttpReply r = parse_reply(read_until_close(fd, 20s));
  close(fd);
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServeTest, Http10StreamEndsWithTheConnection) {
  int fd = connect_local(port());
  const std::string body = chat_body({{"stream", true}, {"max_tokens", 2}});
  send_all(fd,
           "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  HttpReply r = parse_reply(read_until_close(fd, 20s));
  close(fd);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("transfer-encoding"), "");
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n")) << r.body;
}

TEST(Serve, OversizedBodiesGet413) {
  ServerProcess server({"--max-body-bytes", "1KiB"});
  const std::string big = chat_body({{"messages", {{{"role", "user"}, {"content", std::string(4000, 'x')}}}}});
  HttpReply r = http(server.port(), "POST", "/v1/chat/completions", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("1024"), std::string::npos);
  // A chunked body that grows past the limit is refused too.
  int fd = connect_local(server.port());
  send_all(fd, "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 4; ++i) send_all(fd, "200\r\n" + std::string(512, 'a') + "\r\n");
  r = parse_reply(read_until_close(fd, 10s));
  close(fd);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(json::parse(r.body)["error"].is_string());  // Ollama's error shape for /api/*
  EXPECT_EQ(http(server.port(), "POST", "/v1/chat/completions", kChat).status, 200);
}

TEST(Serve, ApiKeysAndCors) {
  ServerProcess server({"--api-key", "sk-one", "--api-key", "sk-two", "--cors-origin", "http://localhost:3000"});
  HttpReply r = http(server.port(), "POST", "/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "invalid_api_key");
  r = http(server.port(), "POST", "/v1/chat/completions", kChat, {{"Authorization", "Bearer sk-two"}});
  EXPECT_EQ(r.status, 200);
  r = http(server.port(), "GET", "/api/tags", "", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(http(server.port(), "GET", "/health").status, 200);

  r = http(server.port(), "OPTIONS", "/v1/chat/completions", "",
           {{"Origin", "http://localhost:3000"},
            {"Access-Control-Request-Method", "POST"},
            {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("access-control-allow-origin"), "http://localhost:3000");
  EXPECT_EQ(r.header("access-control-allow-headers"), "authorization,content-type");
  r = http(server.port(), "OPTIONS", "/v1/chat/completions", "",
           {{"Origin", "http://elsewhere"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 403);
  r = http(server.port(), "GET", "/v1/models", "",
           {{"Origin", "http://localhost:3000"}, {"Authorization", "Bearer sk-one"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "http://localhost:3000");
}

TEST(Serve, SlowAndIdleClientsAreDroppedWhileOthersAreServed) {
  ServerProcess server({"--read-timeout", "1s", "--idle-timeout", "1s"});
  // A sender that stops in the middle of its header.
  int slow = connect_local(server.port());
  send_all(slow, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le");
  // A connection that never sends anything.
  int idle = connect_local(server.port());
  EXPECT_EQ(http(server.port(), "POST", "/v1/chat/completions", kChat).status, 200);
  EXPECT_TRUE(closed_by_peer(slow, 20s));
  EXPECT_TRUE(closed_by_peer(idle, 20s));
  close(slow);
  close(idle);
  EXPECT_EQ(http(server.port(), "GET", "/health").status, 200);
}

TEST(Serve, VanishingClientCancelsItsGeneration) {
  ServerProcess server({"--fake-token-delay-ms", "10"});
  int fd = connect_local(server.port());
  const std::string body = chat_body({{"stream", true}, {"ignore_eos", true}, {"max_tokens", 3000}});
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
  std::string first = read_until(fd, "Hearth", 20s);
  ASSERT_NE(first.find("Hearth"), std::string::npos);
  EXPECT_EQ(metric(server.port(), "hearth_requests_running{model=\"fake\"}"), 1);
  close(fd);  // gone, mid-stream
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "hearth_requests_running{model=\"fake\"}") == 0; }));
  EXPECT_EQ(metric(server.port(), "hearth_request_success_total{model=\"fake\",finished_reason=\"cancelled\"}"), 1);
  EXPECT_EQ(metric(server.port(), "hearth_kv_cache_usage_ratio{model=\"fake\"}"), 0);
  // Non-streaming requests are watched too.
  fd = connect_local(server.port());
  const std::string plain = chat_body({{"ignore_eos", true}, {"max_tokens", 3000}});
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(plain.size()) +
                   "\r\n\r\n" + plain);
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "hearth_requests_running{model=\"fake\"}") == 1; }));
  close(fd);
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "hearth_requests_running{model=\"fake\"}") == 0; }));
  EXPECT_EQ(metric(server.port(), "hearth_request_success_total{model=\"fake\",finished_reason=\"cancelled\"}"), 2);
  EXPECT_EQ(http(server.port(), "POST", "/v1/chat/completions", kChat).status, 200);
}

TEST(Serve, ClientThatStopsReadingIsDropped) {
#ifdef HEARTH_SANITIZE
  // Filling the kernel's socket buffers takes minutes at sanitizer speed; the Release suite covers this.
  GTEST_SKIP() << "too slow under the sanitizers to fill the socket buffers";
#endif
  ServerProcess server({"--write-timeout", "1s", "--context", "400000", "--fake-token-delay-ms", "1"});
  // A small receive buffer (set before connecting, so the window stays small) fills quickly.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // Log-probabilities make each event large, so that the buffers fill within moments.
  const std::string body = chat_body(
      {{"stream", true}, {"ignore_eos", true}, {"max_tokens", 390000}, {"logprobs", true}, {"top_logprobs", 20}});
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
  // Never read: the server's writes stall, time out, and the generation is cancelled.
  EXPECT_TRUE(eventually(
      [&] {
        return metric(server.port(), "hearth_request_success_total{model=\"fake\",finished_reason=\"cancelled\"}") == 1;
      },
      60s));
  EXPECT_EQ(metric(server.port(), "hearth_requests_running{model=\"fake\"}"), 0);
  EXPECT_TRUE(closed_by_peer(fd, 20s));
  close(fd);
}

TEST(Serve, OverloadBurstGets503WithRetryAfterAndRecovers) {
  ServerProcess server(
      {"--max-queue", "2", "--max-sequences", "2", "--retry-after", "3s", "--fake-token-delay-ms", "20"});
  constexpr int kBurst = 24;
  std::vector<std::future<HttpReply>> replies;
  for (int i = 0; i < kBurst; ++i) {
    replies.push_back(std::async(std::launch::async, [&] {
      return http(server.port(), "POST", "/v1/chat/completions", chat_body({{"max_tokens", 10}}));
    }));
  }
  int ok = 0, overloaded = 0;
  for (auto& f : replies) {
    HttpReply r = f.get();
    if (r.status == 200) {
      ++ok;
      EXPECT_EQ(json::parse(r.body)["choices"][0]["message"]["content"],
                "Hello from Hearth! This is the fake engine speaking");
    } else {
      ASSERT_EQ(r.status, 503) << r.body;
      ++overloaded;
      EXPECT_EQ(r.header("retry-after"), "3");
      EXPECT_EQ(json::parse(r.body)["error"]["code"], "server_overloaded");
    }
  }
  EXPECT_GE(ok, 4);  // two running and two waiting at least
  EXPECT_GE(overloaded, 1);
  EXPECT_EQ(ok + overloaded, kBurst);
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "hearth_degraded{model=\"fake\"}") == 0; }));
  EXPECT_EQ(metric(server.port(), "hearth_requests_waiting{model=\"fake\"}"), 0);
  EXPECT_EQ(http(server.port(), "POST", "/v1/chat/completions", kChat).status, 200);
}

TEST(Serve, TooManyConnections) {
  ServerProcess server({"--max-connections", "2"});
  // Open idle connections until one is answered with 503 (a connection of the start-up health checks may
  // still be closing, so the first extra one is not necessarily the third).
  std::vector<int> open;
  HttpReply refused;
  for (int i = 0; i < 8 && refused.status == 0; ++i) {
    int fd = connect_local(server.port());
    std::string raw = read_until(fd, "\r\n\r\n", 2s);
    if (raw.empty()) {
      open.push_back(fd);  // accepted and waiting for a request
    } else {
      refused = parse_reply(raw + read_until_close(fd, 10s));
      close(fd);
    }
  }
  EXPECT_EQ(refused.status, 503);
  EXPECT_LE(open.size(), 2u);
  EXPECT_EQ(refused.header("retry-after"), "1");
  for (int fd : open) close(fd);
  EXPECT_TRUE(eventually([&] { return http(server.port(), "GET", "/health").status == 200; }));
}

TEST(Serve, SigtermFinishesInFlightRequestsAndExitsZero) {
  ServerProcess server({"--fake-token-delay-ms", "20"});
  int fd = connect_local(server.port());
  const std::string body = chat_body({{"stream", true}, {"max_tokens", 15}});
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
  ASSERT_NE(read_until(fd, "data: ", 20s).find("data: "), std::string::npos);
  auto exit_code = std::async(std::launch::async, [&] { return server.stop(SIGTERM); });
  std::string rest = read_until_close(fd, 30s);
  close(fd);
  EXPECT_NE(rest.find("data: [DONE]"), std::string::npos) << rest;
  EXPECT_EQ(rest.find("\"error\""), std::string::npos) << rest;
  EXPECT_EQ(exit_code.get(), 0);
  EXPECT_NE(server.log().find("shut down"), std::string::npos);
}

TEST(Serve, SigtermCancelsWhatOutlivesTheDeadline) {
  ServerProcess server({"--fake-token-delay-ms", "10", "--shutdown-timeout", "300ms"});
  int fd = connect_local(server.port());
  const std::string body = chat_body({{"stream", true}, {"ignore_eos", true}, {"max_tokens", 3000}});
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
  ASSERT_NE(read_until(fd, "data: ", 20s).find("data: "), std::string::npos);
  EXPECT_EQ(server.stop(SIGTERM), 0);
  std::string rest = read_until_close(fd, 10s);
  close(fd);
  // The stream was ended properly: an error event saying why, then [DONE].
  EXPECT_NE(rest.find("shutting down"), std::string::npos) << rest.substr(rest.size() > 500 ? rest.size() - 500 : 0);
  EXPECT_NE(rest.find("data: [DONE]"), std::string::npos);
}

TEST(Serve, IdleServerExitsZeroOnSigint) {
  ServerProcess server({});
  EXPECT_EQ(server.stop(SIGINT), 0);
}

TEST(ServeCli, ConfigurationErrorsStopTheServerFromStarting) {
  auto r = hearth::test::run_hearth("serve --fake-engine --max-batch-tokens lots");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: engine.max_batch_tokens (--max-batch-tokens): expected an integer, got \"lots\""),
            std::string::npos)
      << r.err;
  hearth::test::TempDir dir;
  std::ofstream(dir / "config.yaml") << "engine:\n  max_batch_tokens: lots\n";
  r = hearth::test::run_hearth("serve --fake-engine --config " +
                               hearth::test::shell_quote((dir / "config.yaml").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.yaml:2: engine.max_batch_tokens: expected an integer, got \"lots\""), std::string::npos)
      << r.err;
  r = hearth::test::run_hearth("serve /no/such/model.gguf");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: "), std::string::npos);
}

TEST(ServeCli, PrintConfigShowsThePrecedence) {
  hearth::test::TempDir dir;
  std::ofstream(dir / "config.yaml") << "server:\n  port: 1111\n  host: 10.1.2.3\nengine:\n  max_queue: 5\n";
  auto r = hearth::test::run_hearth("serve --config " + hearth::test::shell_quote((dir / "config.yaml").string()) +
                                    " --port 3333 --print-config");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  port: 3333\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  host: \"10.1.2.3\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  max_queue: 5\n"), std::string::npos) << r.out;
  r = hearth::test::run_hearth("serve --no-warmup --print-config");
  EXPECT_NE(r.out.find("  warmup: false\n"), std::string::npos) << r.out;
}

TEST(ServeCli, EnvironmentVariablesConfigureTheServer) {
  ServerProcess server({}, {{"HEARTH_SERVER_API_KEYS", "from-env"}, {"HEARTH_SERVED_MODEL_NAME", "envmodel"}});
  EXPECT_EQ(http(server.port(), "GET", "/v1/models").status, 401);
  HttpReply r = http(server.port(), "GET", "/v1/models", "", {{"Authorization", "Bearer from-env"}});
  EXPECT_EQ(json::parse(r.body)["data"][0]["id"], "envmodel");
}

}  // namespace
}  // namespace hearth::server::test
