// GET /v1/models, GET /v1/models/{model}, POST /v1/embeddings.
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/generation_setup.h"
#include "server/json_fields.h"
#include "server/json_util.h"
#include "server/routes.h"

namespace hearth::server {

namespace {

using nlohmann::json;

json model_object(const ServerContext& ctx) {
  const ModelInfo& info = ctx.service.model_info();
  return {{"id", info.name},
          {"object", "model"},
          {"created", info.created_unix ? info.created_unix : ctx.started_unix},
          {"owned_by", "hearth"},
          {"max_model_len", info.context_length}};
}

void handle_embeddings(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const RequestJson body = parse_json_object_body(ex->request().body);
  JsonFields f(body, "");
  check_model_name(ctx, f.string("model").value_or(""), ErrorStyle::kOpenAI);
  const auto* input = f.get("input");
  if (!input) {
    throw ApiException(
        ApiError::bad_request("Missing required parameter: 'input'.", "input", "missing_required_parameter"));
  }
  if (!input->is_string() && !input->is_array()) f.invalid_type("input", "a string or an array", *input);
  if (!ctx.service.model_info().supports_embeddings) {
    throw ApiException(ApiError::not_implemented("Embeddings are not available: the model '" + ctx.model_name() +
                                                 "' is served for generation only."));
  }
  throw ApiException(ApiError::not_implemented("Embeddings are not implemented by this engine yet."));
}

}  // namespace

void add_openai_model_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/v1/models", ErrorStyle::kOpenAI, [&ctx](const std::shared_ptr<Exchange>& ex) {
    json body = {{"object", "list"}, {"data", json::array({model_object(ctx)})}};
    ex->respond(HttpResponse::json(200, dump_json(body)));
  });
  router.add("GET", "/v1/models/{model...}", ErrorStyle::kOpenAI, [&ctx](const std::shared_ptr<Exchange>& ex) {
    check_model_name(ctx, ex->request().path_params.at("model"), ErrorStyle::kOpenAI);
    ex->respond(HttpResponse::json(200, dump_json(model_object(ctx))));
  });
  router.add("POST", "/v1/embeddings", ErrorStyle::kOpenAI,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_embeddings(ctx, ex); });
}

}  // namespace hearth::server
