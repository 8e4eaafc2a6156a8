#include "server/server_app.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "server/admission.h"
#include "server/generation_job.h"
#include "server/http_server.h"
#include "server/json_util.h"
#include "server/keep_alive.h"
#include "server/request_guard.h"
#include "server/router.h"
#include "server/routes.h"
#include "server/server_context.h"
#include "server/server_metrics.h"

namespace hearth::server {

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Waits up to `timeout` for SIGTERM/SIGINT; returns the signal or 0.
int wait_for_signal(std::chrono::milliseconds timeout) {
  sigset_t set = shutdown_signals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

AdmissionPolicy admission_policy(const config::Config& c) {
  AdmissionPolicy p;
  p.max_queue = c.engine.max_queue;
  p.max_sequences = c.engine.max_sequences;
  p.policy = c.engine.overload_policy;
  p.overload_max_tokens = c.engine.overload_max_tokens;
  p.retry_after_seconds = std::max<int>(1, static_cast<int>(std::ceil(c.engine.retry_after.count() / 1000.0)));
  return p;
}

}  // namespace

void block_shutdown_signals() {
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that vanished mid-write must not kill the process
}

struct ServerApp::State {
  State(config::Config c, std::unique_ptr<GenerationService> s, std::unique_ptr<PromptFrontend> f)
      : config(std::move(c)),
        service(std::move(s)),
        frontend(std::move(f)),
        metrics(service->model_info().name),
        admission(admission_policy(config), &metrics),
        keep_alive(*service, config.engine.keep_alive),
        ctx{config, *service, *frontend, metrics, admission, keep_alive, jobs, unix_time_now(), &draining},
        guard(config.server.api_keys, config.server.cors_origins) {
    add_all_routes(router, ctx);
  }

  config::Config config;
  std::unique_ptr<GenerationService> service;
  std::unique_ptr<PromptFrontend> frontend;
  ServerMetrics metrics;
  AdmissionController admission;
  KeepAlive keep_alive;
  JobRegistry jobs;
  std::atomic<bool> draining{false};
  ServerContext ctx;
  Router router;
  RequestGuard guard;
};

ServerApp::ServerApp(config::Config config, std::unique_ptr<GenerationService> service,
                     std::unique_ptr<PromptFrontend> frontend)
    : state_(std::make_unique<State>(std::move(config), std::move(service), std::move(frontend))) {}

ServerApp::~ServerApp() = default;

int ServerApp::run() {
  State& s = *state_;
  const config::ServerConfig& sc = s.config.server;
  HttpServerOptions options;
  options.host = sc.host;
  options.port = sc.port;
  options.io_threads = sc.io_threads;
  options.max_body_bytes = sc.max_body_bytes;
  options.read_timeout = sc.read_timeout;
  options.idle_timeout = sc.idle_timeout;
  options.write_timeout = sc.write_timeout;
  options.max_connections = sc.max_connections;

  const bool access_log = sc.access_log;
  auto handler = [&s](const std::shared_ptr<Exchange>& ex) {
    if (s.guard.admit(*ex)) s.router.dispatch(ex);
  };
  auto observer = [&s, access_log](const HttpRequest& req, int status, double seconds) {
    s.metrics.http_request(req.route.empty() ? "(unrouted)" : req.route, status);
    if (access_log) {
      spdlog::info("{} \"{} {}\" {} {:.3f}s", req.remote, req.method, req.target,
                   status ? std::to_string(status) : std::string("-"), seconds);
    }
  };

  HttpServer server(options, handler, observer);
  const int port = server.listen();
  server.start();
  std::fprintf(stderr, "hearth: listening on http://%s:%d (model %s)\n", sc.host.c_str(), port,
               s.service->model_info().name.c_str());
  std::fflush(stderr);

  while (wait_for_signal(std::chrono::milliseconds(200)) == 0) s.keep_alive.tick();

  // Graceful shutdown.
  s.draining = true;
  server.begin_drain();
  spdlog::info("shutting down: {} requests in flight, waiting up to {}s", server.active_exchanges(),
               sc.shutdown_timeout.count() / 1000.0);
  const auto deadline = std::chrono::steady_clock::now() + sc.shutdown_timeout;
  bool hurry = false;
  while (server.active_exchanges() > 0 && std::chrono::steady_clock::now() < deadline && !hurry) {
    hurry = wait_for_signal(std::chrono::milliseconds(50)) != 0;  // a second signal: stop waiting
  }
  if (server.active_exchanges() > 0) {
    spdlog::warn("shutting down: cancelling {} requests still in flight", server.active_exchanges());
    s.jobs.abort_all(ApiError::unavailable("The request was cancelled because the server is shutting down."));
    const auto flush_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (server.active_exchanges() > 0 && std::chrono::steady_clock::now() < flush_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  server.close_all();
  // Let cancelled generations deliver their last events while the I/O threads still run.
  const auto jobs_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (s.jobs.size() > 0 && std::chrono::steady_clock::now() < jobs_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server.stop();
  s.service->shutdown();
  spdlog::info("shut down");
  return 0;
}

}  // namespace hearth::server
