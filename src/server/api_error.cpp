#include "server/api_error.h"

#include <nlohmann/json.hpp>

#include "server/json_util.h"

namespace hearth::server {

ApiError ApiError::bad_request(std::string message, std::string param, std::string code) {
  return ApiError{400, std::move(message), "invalid_request_error", std::move(param), std::move(code), 0};
}

ApiError ApiError::not_found(std::string message, std::string code) {
  return ApiError{404, std::move(message), "invalid_request_error", {}, std::move(code), 0};
}

ApiError ApiError::unsupported(std::string message, std::string param) {
  return ApiError{400, std::move(message), "invalid_request_error", std::move(param), "unsupported_parameter", 0};
}

ApiError ApiError::not_implemented(std::string message) {
  return ApiError{501, std::move(message), "not_implemented_error", {}, "not_implemented", 0};
}

ApiError ApiError::overloaded(std::string message, int retry_after_seconds) {
  return ApiError{503, std::move(message), "server_overloaded", {}, "server_overloaded", retry_after_seconds};
}

ApiError ApiError::unavailable(std::string message) {
  return ApiError{503, std::move(message), "service_unavailable", {}, "service_unavailable", 0};
}

ApiError ApiError::internal(std::string message) {
  return ApiError{500, std::move(message), "server_error", {}, "internal_error", 0};
}

std::string error_json(const ApiError& error, ErrorStyle style) {
  nlohmann::json j;
  if (style == ErrorStyle::kOllama) {
    j["error"] = error.message;
  } else {
    j["error"] = {
        {"message", error.message},
        {"type", error.type},
        {"param", error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param)},
        {"code", error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code)},
    };
  }
  return dump_json(j);
}

HttpResponse error_response(const ApiError& error, ErrorStyle style) {
  HttpResponse r = HttpResponse::json(error.status, error_json(error, style));
  if (error.retry_after_seconds > 0) r.headers.set("Retry-After", std::to_string(error.retry_after_seconds));
  if (error.status == 401) r.headers.set("WWW-Authenticate", "Bearer");
  return r;
}

ErrorStyle error_style_for_path(std::string_view path) {
  return path.rfind("/api/", 0) == 0 ? ErrorStyle::kOllama : ErrorStyle::kOpenAI;
}

}  // namespace hearth::server
