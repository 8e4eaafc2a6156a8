#include "server/router.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <new>

#include "util/error.h"

namespace hearth::server {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
bool is_rest_param(const std::string& seg) { return is_param(seg) && seg.size() > 5 && seg.ends_with("...}"); }

}  // namespace

void Router::add(std::string method, std::string pattern, ErrorStyle style, RouteHandler handler) {
  Route r{std::move(method), pattern, split_path(pattern), style, std::move(handler)};
  routes_.push_back(std::move(r));
}

bool Router::match(const Route& route, const std::string& path, std::map<std::string, std::string>& params) {
  params.clear();
  const auto segments = split_path(path);
  std::size_t i = 0;
  for (std::size_t k = 0; k < route.segments.size(); ++k) {
    const std::string& seg = route.segments[k];
    if (is_rest_param(seg)) {
      if (i >= segments.size()) return false;
      std::string rest;
      for (std::size_t m = i; m < segments.size(); ++m) rest += (m > i ? "/" : "") + segments[m];
      params[seg.substr(1, seg.size() - 5)] = rest;
      return true;
    }
    if (i >= segments.size()) return false;
    if (is_param(seg)) {
      params[seg.substr(1, seg.size() - 2)] = segments[i];
    } else if (seg != segments[i]) {
      return false;
    }
    ++i;
  }
  return i == segments.size();
}

void Router::dispatch(const std::shared_ptr<Exchange>& exchange) const {
  HttpRequest& req = exchange->request();
  const ErrorStyle style = error_style_for_path(req.path);
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  std::vector<std::string> allowed;
  std::map<std::string, std::string> params;
  for (const auto& route : routes_) {
    if (!match(route, req.path, params)) continue;
    if (route.method != method) {
      allowed.push_back(route.method);
      continue;
    }
    req.path_params = params;
    req.route = route.pattern;
    run_guarded(exchange, route.style, route.handler);
    return;
  }
  if (!allowed.empty()) {
    req.route = "(method not allowed)";
    HttpResponse r = error_response(ApiError{405,
                                             fmt::format("Method {} is not allowed for {}; use {}.", req.method,
                                                         req.path, fmt::join(allowed, ", ")),
                                             "invalid_request_error",
                                             {},
                                             "method_not_allowed",
                                             0},
                                    style);
    r.headers.set("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
    exchange->respond(std::move(r));
    return;
  }
  req.route = "(not found)";
  exchange->respond(error_response(
      ApiError::not_found(fmt::format("No route for {} {}.", req.method, req.path), "not_found"), style));
}

void Router::run_guarded(const std::shared_ptr<Exchange>& exchange, ErrorStyle style, const RouteHandler& handler) {
  auto fail_with = [&](const ApiError& error) {
    if (!exchange->is_open()) return;
    if (exchange->streaming()) {
      exchange->end_stream();  // the status line is gone; the stream just ends
    } else {
      exchange->respond(error_response(error, style));
    }
  };
  try {
    handler(exchange);
  } catch (const ApiException& e) {
    fail_with(e.error());
  } catch (const Error& e) {
    // hearth::Error is bad input by convention (a template's raise_exception, a prompt the tokenizer refuses).
    fail_with(ApiError::bad_request(e.what()));
  } catch (const std::bad_alloc&) {
    spdlog::error("{} {}: out of memory", exchange->request().method, exchange->request().path);
    fail_with(ApiError::unavailable("The server is out of memory."));
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", exchange->request().method, exchange->request().path, e.what());
    fail_with(ApiError::internal(std::string("Internal error: ") + e.what()));
  }
}

}  // namespace hearth::server
