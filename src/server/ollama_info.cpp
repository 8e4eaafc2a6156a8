// GET /api/tags, POST /api/show, GET /api/ps, GET /api/version, POST /api/embed(dings) (Ollama).
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/generation_setup.h"
#include "server/json_fields.h"
#include "server/json_util.h"
#include "server/routes.h"

#ifndef HEARTH_VERSION
#define HEARTH_VERSION "0.0.0"
#endif

namespace hearth::server {

namespace {

using nlohmann::json;

// Ollama names carry a tag; a served name without one is shown as NAME:latest (and accepted both ways).
std::string ollama_name(const std::string& name) {
  return name.find(':') == std::string::npos ? name + ":latest" : name;
}

std::string digest_hex(const ModelInfo& info) {
  const std::string prefix = "sha256:";
  return info.digest.rfind(prefix, 0) == 0 ? info.digest.substr(prefix.size()) : info.digest;
}

json details(const ModelInfo& info) {
  return {{"parent_model", ""},
          {"format", info.format},
          {"family", info.family},
          {"families", info.family.empty() ? json(nullptr) : json::array({info.family})},
          {"parameter_size", info.parameter_size},
          {"quantization_level", info.quantization}};
}

std::string modified_at(const ServerContext& ctx) {
  const auto unix = ctx.service.model_info().created_unix ? ctx.service.model_info().created_unix : ctx.started_unix;
  return rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(unix)));
}

json capabilities(const ModelInfo& info) {
  json caps = json::array({"completion"});
  if (info.supports_tools) caps.push_back("tools");
  if (info.supports_thinking) caps.push_back("thinking");
  if (info.supports_embeddings) caps.push_back("embedding");
  return caps;
}

void handle_show(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const RequestJson body = parse_json_object_body(ex->request().body);
  JsonFields f(body, "");
  std::string name = f.string("model").value_or("");
  if (name.empty()) name = f.string("name").value_or("");  // the older field name
  if (name.empty()) throw ApiException(ApiError::bad_request("model is required"));
  check_model_name(ctx, name, ErrorStyle::kOllama);
  const ModelInfo& info = ctx.service.model_info();
  json model_info = {{"general.architecture", info.architecture},
                     {info.architecture + ".context_length", info.context_length},
                     {"tokenizer.ggml.vocab_size", info.vocab_size}};
  json out = {{"license", ""},
              {"modelfile", "# Served by Hearth\nFROM " + info.path + "\n"},
              {"parameters", ""},
              {"template", info.chat_template},
              {"details", details(info)},
              {"model_info", model_info},
              {"capabilities", capabilities(info)},
              {"modified_at", modified_at(ctx)}};
  ex->respond(HttpResponse::json(200, dump_json(out)));
}

}  // namespace

void add_ollama_info_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/tags", ErrorStyle::kOllama, [&ctx](const std::shared_ptr<Exchange>& ex) {
    const ModelInfo& info = ctx.service.model_info();
    json model = {{"name", ollama_name(info.name)},  {"model", ollama_name(info.name)},
                  {"modified_at", modified_at(ctx)}, {"size", info.size_bytes},
                  {"digest", digest_hex(info)},      {"details", details(info)}};
    ex->respond(HttpResponse::json(200, dump_json(json{{"models", json::array({model})}})));
  });
  router.add("POST", "/api/show", ErrorStyle::kOllama,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_show(ctx, ex); });
  router.add("GET", "/api/ps", ErrorStyle::kOllama, [&ctx](const std::shared_ptr<Exchange>& ex) {
    const ModelInfo& info = ctx.service.model_info();
    const ServiceState state = ctx.service.stats().state;
    json models = json::array();
    if (state == ServiceState::kReady || state == ServiceState::kWarming) {
      auto expires = ctx.keep_alive.expires_at();
      // Never expiring is shown far in the future, as Ollama does for keep_alive -1.
      auto when = expires ? *expires : std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 100);
      models.push_back({{"name", ollama_name(info.name)},
                        {"model", ollama_name(info.name)},
                        {"size", info.size_bytes},
                        {"digest", digest_hex(info)},
                        {"details", details(info)},
                        {"expires_at", rfc3339(when)},
                        {"size_vram", 0},
                        {"context_length", info.context_length}});
    }
    ex->respond(HttpResponse::json(200, dump_json(json{{"models", models}})));
  });
  router.add("GET", "/api/version", ErrorStyle::kOllama, [](const std::shared_ptr<Exchange>& ex) {
    ex->respond(HttpResponse::json(200, dump_json(json{{"version", HEARTH_VERSION}})));
  });
  for (const char* path : {"/api/embed", "/api/embeddings"}) {
    router.add("POST", path, ErrorStyle::kOllama, [&ctx](const std::shared_ptr<Exchange>& ex) {
      const RequestJson body = parse_json_object_body(ex->request().body);
      check_model_name(ctx, JsonFields(body, "").string("model").value_or(""), ErrorStyle::kOllama);
      throw ApiException(ApiError::not_implemented(ctx.model_name() + " does not support embeddings"));
    });
  }
}

}  // namespace hearth::server
