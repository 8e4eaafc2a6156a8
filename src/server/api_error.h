#pragma once
// Client-facing errors. Handlers throw ApiException; the router renders it in the style of the route's API:
//   OpenAI: {"error":{"message":"...","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}
//   Ollama: {"error":"..."}
#include <exception>
#include <string>

#include "server/http_types.h"

namespace hearth::server {

enum class ErrorStyle { kOpenAI, kOllama };

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;            // empty renders as null
  std::string code;             // empty renders as null
  int retry_after_seconds = 0;  // > 0 adds Retry-After (503)

  static ApiError bad_request(std::string message, std::string param = {}, std::string code = {});
  static ApiError not_found(std::string message, std::string code = {});
  static ApiError unsupported(std::string message, std::string param = {});  // 400, code "unsupported_parameter"
  static ApiError not_implemented(std::string message);                      // 501
  static ApiError overloaded(std::string message, int retry_after_seconds);  // 503 + Retry-After
  static ApiError unavailable(std::string message);                          // 503
  static ApiError internal(std::string message);                             // 500
};

class ApiException : public std::exception {
 public:
  explicit ApiException(ApiError error) : error_(std::move(error)) {}
  const ApiError& error() const { return error_; }
  const char* what() const noexcept override { return error_.message.c_str(); }

 private:
  ApiError error_;
};

// The JSON body alone, e.g. for an error event inside an SSE stream.
std::string error_json(const ApiError& error, ErrorStyle style);
HttpResponse error_response(const ApiError& error, ErrorStyle style);

// Which API a path belongs to: /api/* is Ollama, everything else OpenAI.
ErrorStyle error_style_for_path(std::string_view path);

}  // namespace hearth::server
