#pragma once
// Plain HTTP request/response values shared by the socket layer (Beast, hidden in http_session.cpp) and the
// route handlers, so that handlers can be tested without sockets.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::server {

// Header fields in arrival order with case-insensitive lookup.
class HttpHeaders {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field called `name` with one.
  void set(std::string name, std::string value);
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/v1/models?x=1" as sent
  std::string path;    // "/v1/models" (percent-decoded)
  std::string query;   // "x=1"
  HttpHeaders headers;
  std::string body;
  std::string remote;                                                                 // "127.0.0.1:50412"
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();  // when it was fully read
  // Filled by the router: "{name}" segments of the matched pattern, and the pattern itself (for metrics).
  std::map<std::string, std::string> path_params;
  std::string route;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  static HttpResponse json(int status, std::string body);
  static HttpResponse text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// "Not Found" for 404 and so on; "Unknown" for codes Hearth does not use.
std::string_view status_reason(int status);

// Decodes %XX escapes; returns false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace hearth::server
