// HttpServer in this process (so sanitizers see the socket layer): keep-alive, pipelining, streaming,
// disconnects, stalled readers, limits and draining, with the routes over the fake engine.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "server/http_server.h"
#include "server/request_guard.h"
#include "server_process.h"

namespace hearth::server::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

std::string post(const std::string& path, const std::string& body, bool close = false) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + (close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The routes of a Harness behind a real HttpServer on 127.0.0.1.
class LiveServer {
 public:
  explicit LiveServer(FakeEngineOptions fake = default_fake(), HttpServerOptions options = {})
      : harness_(fake), guard_({}, {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    server_ = std::make_unique<HttpServer>(options, [this](const std::shared_ptr<Exchange>& ex) {
      if (guard_.admit(*ex)) harness_.router.dispatch(ex);
    });
    port_ = server_->listen();
    server_->start();
  }
  ~LiveServer() {
    server_->begin_drain();
    server_->close_all();
    eventually([&] { return harness_.jobs.size() == 0; }, 10s);
    server_->stop();
    harness_.service->shutdown();  // before the server (and its queued handlers) goes away
    server_.reset();
  }
  int port() const { return port_; }
  Harness& harness() { return harness_; }
  HttpServer& server() { return *server_; }

 private:
  Harness harness_;
  RequestGuard guard_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  LiveServer live;
  int fd = connect_local(live.port());
  send_all(fd, "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n" +
                   post("/v1/completions", R"({"prompt":"a","max_tokens":2})") +
                   "GET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string raw = read_until_close(fd, 20s);
  close(fd);
  const auto models = raw.find("\"object\":\"list\"");
  const auto text = raw.find("\"text\":\"Hello from\"");
  const auto version = raw.find("\"version\"");
  ASSERT_NE(models, std::string::npos) << raw;
  ASSERT_NE(text, std::string::npos) << raw;
  ASSERT_NE(version, std::string::npos) << raw;
  EXPECT_LT(models, text);
  EXPECT_LT(text, version);
}

TEST(HttpServer, StreamsAreChunkedAndComplete) {
  LiveServer live;
  HttpReply r = http(live.port(), "POST", "/v1/chat/completions",
                     R"({"messages":[{"role":"user","content":"Hi"}],"stream":true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  std::string content;
  for (const auto& e : sse_payloads(r.body)) {
    if (e != "[DONE]" && e["choices"][0]["delta"].contains("content")) {
      content += e["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  EXPECT_EQ(content, kFakeText);
}

TEST(HttpServer, VanishingClientsAreCancelled) {
  FakeEngineOptions fake = default_fake();
  fake.token_delay = 5ms;
  LiveServer live(fake);
  for (const bool stream : {true, false}) {
    int fd = connect_local(live.port());
    json body = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                 {"stream", stream},
                 {"ignore_eos", true},
                 {"max_tokens", 200}};
    send_all(fd, post("/v1/chat/completions", body.dump()));
    ASSERT_TRUE(eventually([&] { return live.harness().admission.running() == 1; }));
    close(fd);
    EXPECT_TRUE(eventually([&] { return live.harness().admission.running() == 0 && live.harness().jobs.size() == 0; }))
        << "stream=" << stream;
  }
  EXPECT_EQ(live.harness().service->stats().running, 0);
  EXPECT_EQ(http(live.port(), "GET", "/health").status, 200);
}

TEST(HttpServer, StalledReaderIsDropped) {
#ifdef HEARTH_SANITIZE
  // Filling the kernel's socket buffers takes minutes at sanitizer speed; the Release suite covers this.
  GTEST_SKIP() << "too slow under the sanitizers to fill the socket buffers";
#endif
  HttpServerOptions options;
  options.write_timeout = 300ms;
  FakeEngineOptions fake = default_fake();
  fake.context_length = 1 << 20;
  fake.token_delay = 1ms;
  LiveServer live(fake, options);
  int fd = connect_local(live.port());
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  json body = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}},
               {"stream", true},
               {"ignore_eos", true},
               {"max_tokens", 1 << 19},
               {"logprobs", true},
               {"top_logprobs", 20}};
  send_all(fd, post("/v1/chat/completions", body.dump()));
  ASSERT_TRUE(eventually([&] { return live.harness().admission.running() == 1; }));
  // Never read: the writes stall, time out, the connection is dropped and the generation cancelled.
  EXPECT_TRUE(eventually([&] { return live.harness().jobs.size() == 0; }, 60s));
  EXPECT_EQ(live.harness().admission.running(), 0);
  Harness& h = live.harness();
  EXPECT_NE(h.metrics.render(h.service->stats()).find("finished_reason=\"cancelled\"} 1\n"), std::string::npos);
  close(fd);
}

TEST(HttpServer, LimitsAndMalformedRequests) {
  HttpServerOptions options;
  options.max_body_bytes = 2048;
  LiveServer live(default_fake(), options);
  HttpReply r = http(live.port(), "POST", "/v1/chat/completions", std::string(5000, ' '));
  EXPECT_EQ(r.status, 413);
  int fd = connect_local(live.port());
  send_all(fd, "POST /api/generate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 8; ++i) send_all(fd, "400\r\n" + std::string(1024, 'a') + "\r\n");
  r = parse_reply(read_until_close(fd, 10s));
  close(fd);
  EXPECT_EQ(r.status, 413);
  fd = connect_local(live.port());
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n");
  r = parse_reply(read_until_close(fd, 10s));
  close(fd);
  EXPECT_EQ(r.status, 400);
  fd = connect_local(live.port());
  send_all(fd, "GET /" + std::string(70000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  r = parse_reply(read_until_close(fd, 10s));
  close(fd);
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(http(live.port(), "GET", "/health").status, 200);
}

TEST(HttpServer, DrainFinishesStreamsAndRefusesNewWork) {
  FakeEngineOptions fake = default_fake();
  fake.token_delay = 5ms;
  LiveServer live(fake);
  int idle = connect_local(live.port());
  int streaming = connect_local(live.port());
  send_all(streaming, post("/v1/chat/completions",
                           R"({"messages":[{"role":"user","content":"Hi"}],"stream":true,"max_tokens":20})"));
  ASSERT_NE(read_until(streaming, "data: ", 20s).find("data: "), std::string::npos);
  live.server().begin_drain();
  EXPECT_TRUE(closed_by_peer(idle, 20s));  // idle keep-alive connections go at once
  std::string rest = read_until_close(streaming, 20s);
  EXPECT_NE(rest.find("data: [DONE]"), std::string::npos);  // the stream runs to its end, then closes
  close(idle);
  close(streaming);
  EXPECT_TRUE(eventually([&] { return live.server().active_exchanges() == 0; }));
}

}  // namespace
}  // namespace hearth::server::test
