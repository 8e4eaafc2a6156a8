#include "server/request_guard.h"

#include <algorithm>

#include "server/api_error.h"

namespace hearth::server {

namespace {

// Compares without an early exit, so that response time does not reveal how much of a key matched.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool needs_key(std::string_view path) { return path.rfind("/v1/", 0) == 0 || path.rfind("/api/", 0) == 0; }

std::string trim_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

RequestGuard::RequestGuard(std::vector<std::string> api_keys, std::vector<std::string> cors_origins)
    : api_keys_(std::move(api_keys)) {
  for (auto& o : cors_origins) {
    if (o == "*") {
      any_origin_ = true;
    } else {
      cors_origins_.push_back(trim_trailing_slash(o));
    }
  }
}

bool RequestGuard::origin_allowed(std::string_view origin) const {
  if (any_origin_) return true;
  return std::any_of(cors_origins_.begin(), cors_origins_.end(),
                     [&](const std::string& o) { return iequals(o, origin); });
}

bool RequestGuard::key_valid(std::string_view key) const {
  bool ok = false;
  for (const auto& k : api_keys_) ok |= constant_time_equal(k, key);  // no early exit either
  return ok;
}

bool RequestGuard::admit(Exchange& ex) const {
  const HttpRequest& req = ex.request();
  const auto origin = req.headers.get("Origin");
  const bool cors = any_origin_ || !cors_origins_.empty();
  const bool preflight = req.method == "OPTIONS" && req.headers.has("Access-Control-Request-Method");

  if (cors && origin) {
    if (origin_allowed(*origin)) {
      ex.add_response_header("Access-Control-Allow-Origin", any_origin_ ? "*" : std::string(*origin));
      if (!any_origin_) ex.add_response_header("Vary", "Origin");
      ex.add_response_header("Access-Control-Expose-Headers", "Retry-After");
      if (preflight) {
        HttpResponse r;
        r.status = 204;
        r.headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        // Echo what the browser asks for: SDKs send their own headers (x-stainless-*, ...).
        const auto asked = req.headers.get("Access-Control-Request-Headers");
        r.headers.set("Access-Control-Allow-Headers", asked ? std::string(*asked) : "Authorization, Content-Type");
        r.headers.set("Access-Control-Max-Age", "600");
        ex.respond(std::move(r));
        return false;
      }
    } else if (preflight) {
      ex.respond(error_response(ApiError{403,
                                         "Origin " + std::string(*origin) + " is not allowed (server.cors_origins).",
                                         "invalid_request_error",
                                         {},
                                         "origin_not_allowed",
                                         0},
                                error_style_for_path(req.path)));
      return false;
    }
  }
  if (req.method == "OPTIONS") {
    HttpResponse r;
    r.status = 204;
    r.headers.set("Allow", "GET, POST, OPTIONS");
    ex.respond(std::move(r));
    return false;
  }
  if (!api_keys_.empty() && needs_key(req.path)) {
    const auto auth = req.headers.get("Authorization");
    std::string_view key;
    if (auth && auth->size() > 7 && iequals(auth->substr(0, 7), "bearer ")) key = auth->substr(7);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    if (key.empty() || !key_valid(key)) {
      ApiError e{401,
                 key.empty() ? "Missing API key. Send it as 'Authorization: Bearer <key>'." : "Invalid API key.",
                 "invalid_request_error",
                 {},
                 "invalid_api_key",
                 0};
      ex.respond(error_response(e, error_style_for_path(req.path)));
      return false;
    }
  }
  return true;
}

}  // namespace hearth::server
