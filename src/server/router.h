#pragma once
// The routing table: (method, path pattern) -> handler. Unknown paths get 404 and known paths with the wrong
// method 405 (with Allow), both as JSON in the style of the path's API. A handler reports client errors by
// throwing ApiException; the router turns exceptions into error responses.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/exchange.h"

namespace hearth::server {

using RouteHandler = std::function<void(const std::shared_ptr<Exchange>&)>;

class Router {
 public:
  // `pattern` is a path whose segments may be "{name}" (one segment) or, last, "{name...}" (the rest of
  // the path, slashes included: model names such as "Qwen/Qwen3-0.6B"). HEAD requests use GET routes.
  void add(std::string method, std::string pattern, ErrorStyle style, RouteHandler handler);

  // Finds the route, fills request().path_params / route and runs the handler (on the caller's strand).
  void dispatch(const std::shared_ptr<Exchange>& exchange) const;

  // Runs `handler` and converts what it throws into a response in `style`.
  static void run_guarded(const std::shared_ptr<Exchange>& exchange, ErrorStyle style, const RouteHandler& handler);

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    ErrorStyle style;
    RouteHandler handler;
  };
  static bool match(const Route& route, const std::string& path, std::map<std::string, std::string>& params);

  std::vector<Route> routes_;
};

}  // namespace hearth::server
