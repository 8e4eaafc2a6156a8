#pragma once
// What runs before routing: CORS and API keys.
//   CORS: with server.cors_origins set, requests from an allowed Origin get Access-Control-Allow-Origin (and
//   Vary: Origin); preflights (OPTIONS + Access-Control-Request-Method) are answered here with 204, or 403 for
//   an origin not on the list. Without cors_origins no CORS headers are sent at all.
//   API keys: with server.api_keys set, /v1/* and /api/* need "Authorization: Bearer <key>"; otherwise 401
//   with WWW-Authenticate and an error in the API's style. /health, /metrics and / stay open for probes and
//   scrapers. Keys are compared in constant time.
#include <string>
#include <vector>

#include "server/exchange.h"

namespace hearth::server {

class RequestGuard {
 public:
  RequestGuard(std::vector<std::string> api_keys, std::vector<std::string> cors_origins);

  // True when the request may go on to the router; otherwise a response was sent.
  bool admit(Exchange& ex) const;

 private:
  bool origin_allowed(std::string_view origin) const;
  bool key_valid(std::string_view key) const;

  std::vector<std::string> api_keys_;
  std::vector<std::string> cors_origins_;
  bool any_origin_ = false;
};

}  // namespace hearth::server
