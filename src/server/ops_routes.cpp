// GET /health, GET /metrics, GET / (operations; never behind API keys).
#include <nlohmann/json.hpp>

#include "server/json_util.h"
#include "server/routes.h"

namespace hearth::server {

namespace {

using nlohmann::json;

std::string_view state_name(ServiceState s) {
  switch (s) {
    case ServiceState::kLoading:
      return "loading";
    case ServiceState::kWarming:
      return "warming_up";
    case ServiceState::kReady:
      return "ok";
    case ServiceState::kUnloaded:
      return "unloaded";
    case ServiceState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace

void add_ops_routes(Router& router, ServerContext& ctx) {
  // 200 when requests are served right away (an unloaded model reloads on demand); 503 while loading,
  // warming up, failed or shutting down, so that load balancers and Kubernetes hold traffic back.
  router.add("GET", "/health", ErrorStyle::kOpenAI, [&ctx](const std::shared_ptr<Exchange>& ex) {
    const ServiceStats stats = ctx.service.stats();
    const bool draining = ctx.draining && ctx.draining->load();
    const bool ok = !draining && (stats.state == ServiceState::kReady || stats.state == ServiceState::kUnloaded);
    json body = {{"status", draining ? std::string_view("shutting_down") : state_name(stats.state)},
                 {"model", ctx.model_name()}};
    if (!stats.error.empty()) body["error"] = stats.error;
    ex->respond(HttpResponse::json(ok ? 200 : 503, dump_json(body)));
  });
  router.add("GET", "/metrics", ErrorStyle::kOpenAI, [&ctx](const std::shared_ptr<Exchange>& ex) {
    ex->respond(
        HttpResponse::text(200, ctx.metrics.render(ctx.service.stats()), "text/plain; version=0.0.4; charset=utf-8"));
  });
  router.add("GET", "/", ErrorStyle::kOpenAI,
             [](const std::shared_ptr<Exchange>& ex) { ex->respond(HttpResponse::text(200, "Hearth is running\n")); });
}

}  // namespace hearth::server
