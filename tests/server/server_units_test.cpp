// Small parts of the HTTP layer: stream framing, the Prometheus text format, admission control, stop strings,
// CORS and API keys.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "recording_exchange.h"
#include "server/admission.h"
#include "server/metrics_registry.h"
#include "server/request_guard.h"
#include "server/server_metrics.h"
#include "server/stop_matcher.h"
#include "server/stream_framing.h"

namespace hearth::server {
namespace {

using test::RecordingExchange;

TEST(Framing, SseAndNdjson) {
  EXPECT_EQ(sse_event(R"({"a":1})"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
  EXPECT_EQ(ndjson_line(R"({"done":true})"), "{\"done\":true}\n");
  EXPECT_EQ(sse_headers().get("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(sse_headers().get("Cache-Control"), "no-cache");
  EXPECT_EQ(ndjson_headers().get("Content-Type"), "application/x-ndjson");
}

// Expected text written by hand from the exposition format specification.
TEST(Metrics, TextFormat) {
  MetricsRegistry r;
  r.counter("jobs_total", "Jobs done.", {{"model", "m"}}).add(3);
  r.gauge("temperature", "Line one\nline two \\ end", {{"model", "a\"b\\c\nd"}}).set(-1.5);
  Histogram& h = r.histogram("latency_seconds", "Latency.", {0.25, 1}, {{"model", "m"}});
  h.observe(0.25);  // "le" is inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(r.render(),
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{model=\"m\"} 3\n"
            "# HELP temperature Line one\\nline two \\\\ end\n"
            "# TYPE temperature gauge\n"
            "temperature{model=\"a\\\"b\\\\c\\nd\"} -1.5\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{model=\"m\",le=\"0.25\"} 1\n"
            "latency_seconds_bucket{model=\"m\",le=\"1\"} 2\n"
            "latency_seconds_bucket{model=\"m\",le=\"+Inf\"} 3\n"
            "latency_seconds_sum{model=\"m\"} 7.75\n"
            "latency_seconds_count{model=\"m\"} 3\n");
}

TEST(Metrics, SpecialValuesAndDeclaredFamilies) {
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(1e-05), "1e-05");
  MetricsRegistry r;
  r.declare("later_total", "Appears before its first sample.", "counter");
  EXPECT_EQ(r.render(), "# HELP later_total Appears before its first sample.\n# TYPE later_total counter\n");
}

TEST(Metrics, BucketLayoutsAreIncreasing) {
  for (const auto& b : {latency_buckets_ttft(), latency_buckets_inter_token(), latency_buckets_request()}) {
    EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
    EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
  }
}

TEST(Metrics, EngineCountersFollowTheEngineTotals) {
  ServerMetrics m("x");
  ServiceStats s;
  s.prefix_cache_queries = 10;
  s.prefix_cache_hits = 4;
  s.kv_cache_usage = 0.5;
  std::string text = m.render(s);
  EXPECT_NE(text.find("hearth_prefix_cache_queries_total{model=\"x\"} 10\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_prefix_cache_hits_total{model=\"x\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_kv_cache_usage_ratio{model=\"x\"} 0.5\n"), std::string::npos);
  s.device_memory_used = 100;
  s.device_memory_total = 1000;
  text = m.render(s);
  EXPECT_NE(text.find("hearth_gpu_memory_total_bytes{model=\"x\"} 1000\n"), std::string::npos);
}

AdmissionPolicy policy(int max_queue, int max_sequences, config::OverloadPolicy p = config::OverloadPolicy::kReject) {
  AdmissionPolicy a;
  a.max_queue = max_queue;
  a.max_sequences = max_sequences;
  a.policy = p;
  a.overload_max_tokens = 8;
  a.retry_after_seconds = 3;
  return a;
}

TEST(Admission, ABurstThatFitsTheBatchIsNeverRefused) {
  AdmissionController a(policy(0, 4), nullptr);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(a.admit(1, 10, {}).admitted) << i;  // not scheduled yet, but they fit
  auto refused = a.admit(1, 10, {});
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.rejection.status, 503);
  EXPECT_EQ(refused.rejection.retry_after_seconds, 3);
  EXPECT_TRUE(a.degraded());
}

TEST(Admission, RejectsBeyondMaxQueueAndRecoversByItself) {
  ServerMetrics m("x");
  AdmissionController a(policy(2, 1), &m);
  std::vector<AdmissionController::Ticket> t;
  for (int i = 0; i < 3; ++i) {  // one runs, two wait
    auto d = a.admit(1, 10, {});
    ASSERT_TRUE(d.admitted) << i;
    t.push_back(d.ticket);
  }
  a.on_scheduled(t[0]);
  EXPECT_EQ(a.waiting(), 2);
  EXPECT_EQ(a.running(), 1);
  EXPECT_FALSE(a.admit(1, 10, {}).admitted);
  EXPECT_TRUE(a.degraded());
  EXPECT_NE(m.render({}).find("hearth_degraded{model=\"x\"} 1\n"), std::string::npos);
  // The running one finishes and a waiting one starts: the queue is below max_queue again.
  a.on_finished(t[0], true);
  a.on_scheduled(t[1]);
  EXPECT_FALSE(a.degraded());
  EXPECT_NE(m.render({}).find("hearth_degraded{model=\"x\"} 0\n"), std::string::npos);
  EXPECT_TRUE(a.admit(1, 10, {}).admitted);
  EXPECT_NE(m.render({}).find("hearth_requests_rejected_total{model=\"x\",reason=\"overloaded\"} 1\n"),
            std::string::npos);
}

TEST(Admission, CapMaxTokensAdmitsTrimmedRequestsUpToTwiceTheQueue) {
  AdmissionController a(policy(2, 1, config::OverloadPolicy::kCapMaxTokens), nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(a.admit(1, 10, {}).max_tokens_cap.has_value());
  for (int i = 0; i < 2; ++i) {
    auto d = a.admit(1, 10, {});
    EXPECT_TRUE(d.admitted);
    EXPECT_EQ(d.max_tokens_cap, 8);
  }
  EXPECT_FALSE(a.admit(1, 10, {}).admitted);
}

TEST(Admission, ShedLongestEvictsLongerWaitingPrompts) {
  AdmissionController a(policy(1, 1, config::OverloadPolicy::kShedLongest), nullptr);
  auto running = a.admit(1, 5, {});
  a.on_scheduled(running.ticket);
  int evicted = 0;
  auto long_one = a.admit(1, 500, [&] { ++evicted; });
  ASSERT_TRUE(long_one.admitted);
  // A shorter prompt takes the place of the long one.
  auto short_one = a.admit(1, 20, [&] { ADD_FAILURE() << "the short prompt must not be evicted"; });
  EXPECT_TRUE(short_one.admitted);
  EXPECT_EQ(evicted, 1);
  // A longer prompt than everything waiting is refused instead.
  EXPECT_FALSE(a.admit(1, 1000, {}).admitted);
  a.on_finished(long_one.ticket, false);  // the evicted request's cancellation completes
  EXPECT_EQ(a.waiting(), 1);
}

TEST(StopMatcher, HoldsBackPossiblePrefixes) {
  StopMatcher m({"END", "\n\n"});
  auto r = m.feed("Hello E");
  EXPECT_EQ(r.text, "Hello ");
  EXPECT_FALSE(r.stopped);
  r = m.feed("N");
  EXPECT_EQ(r.text, "");
  r = m.feed("X more");
  EXPECT_EQ(r.text, "ENX more");
  r = m.feed(" text\n");
  EXPECT_EQ(r.text, " text");
  r = m.feed("\nafter");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.matched, "\n\n");
  EXPECT_EQ(m.feed("ignored").text, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, EarliestMatchWinsAndFlushReleasesTheRest) {
  StopMatcher m({"bc", "abcd"});
  auto r = m.feed("xabcd");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "x");  // "abcd" starts before "bc"
  EXPECT_EQ(r.matched, "abcd");
  StopMatcher n({"STOP"});
  EXPECT_EQ(n.feed("end ST").text, "end ");
  EXPECT_EQ(n.flush(), "ST");
}

TEST(RequestGuard, ApiKeys) {
  RequestGuard g({"sk-1", "sk-2"}, {});
  auto missing = RecordingExchange::make("POST", "/v1/chat/completions");
  EXPECT_FALSE(g.admit(*missing));
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->headers.get("WWW-Authenticate"), "Bearer");
  auto body = nlohmann::json::parse(missing->body);
  EXPECT_EQ(body["error"]["code"], "invalid_api_key");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");

  HttpHeaders wrong;
  wrong.set("Authorization", "Bearer sk-3");
  auto bad = RecordingExchange::make("POST", "/api/chat", "", wrong);
  EXPECT_FALSE(g.admit(*bad));
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(nlohmann::json::parse(bad->body), nlohmann::json({{"error", "Invalid API key."}}));

  HttpHeaders good;
  good.set("authorization", "bearer sk-2");
  EXPECT_TRUE(g.admit(*RecordingExchange::make("POST", "/v1/completions", "", good)));
  EXPECT_TRUE(g.admit(*RecordingExchange::make("GET", "/health")));
  EXPECT_TRUE(g.admit(*RecordingExchange::make("GET", "/metrics")));
}

TEST(RequestGuard, Cors) {
  RequestGuard g({"key"}, {"https://app.example"});
  HttpHeaders pre;
  pre.set("Origin", "https://app.example");
  pre.set("Access-Control-Request-Method", "POST");
  pre.set("Access-Control-Request-Headers", "authorization, content-type, x-stainless-os");
  auto preflight = RecordingExchange::make("OPTIONS", "/v1/chat/completions", "", pre);
  EXPECT_FALSE(g.admit(*preflight));  // answered without an API key
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->extra_headers.get("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(preflight->headers.get("Access-Control-Allow-Headers"), "authorization, content-type, x-stainless-os");
  EXPECT_NE(preflight->headers.get("Access-Control-Allow-Methods")->find("POST"), std::string::npos);

  pre.set("Origin", "https://evil.example");
  auto refused = RecordingExchange::make("OPTIONS", "/v1/chat/completions", "", pre);
  EXPECT_FALSE(g.admit(*refused));
  EXPECT_EQ(refused->status, 403);
  EXPECT_FALSE(refused->extra_headers.has("Access-Control-Allow-Origin"));

  // A real request from an allowed origin carries the header, even when it is then refused for its key.
  HttpHeaders req;
  req.set("Origin", "https://app.example");
  auto unauth = RecordingExchange::make("POST", "/v1/chat/completions", "", req);
  EXPECT_FALSE(g.admit(*unauth));
  EXPECT_EQ(unauth->status, 401);
  EXPECT_EQ(unauth->extra_headers.get("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(unauth->extra_headers.get("Vary"), "Origin");

  RequestGuard open({}, {});
  auto plain = RecordingExchange::make("GET", "/v1/models", "", req);
  EXPECT_TRUE(open.admit(*plain));
  EXPECT_FALSE(plain->extra_headers.has("Access-Control-Allow-Origin"));

  RequestGuard any({}, {"*"});
  auto star = RecordingExchange::make("GET", "/v1/models", "", req);
  EXPECT_TRUE(any.admit(*star));
  EXPECT_EQ(star->extra_headers.get("Access-Control-Allow-Origin"), "*");
}

}  // namespace
}  // namespace hearth::server
