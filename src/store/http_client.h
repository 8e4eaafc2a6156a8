#pragma once
// A small synchronous HTTP client over libcurl (one easy handle per client, reused so connections
// stay open). Follows redirects without forwarding Authorization headers to other hosts (blob
// storage such as S3 rejects them), streams response bodies to a sink, uploads from memory or a file
// range. Thread safety: one HttpClient per thread.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"

namespace hearth::store {

// A failure to talk to the server at all (DNS, refused connection, reset, timeout, TLS).
class TransportError : public Error {
 public:
  TransportError(const std::string& message, bool connect_failure)
      : Error(message), connect_failure_(connect_failure) {}
  // True when no connection could be made (wrong address, nothing listening, DNS failure).
  bool connect_failure() const { return connect_failure_; }

 private:
  bool connect_failure_;
};

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body from memory, or from `upload_length` bytes of `upload_fd` at `upload_offset`.
  std::string body;
  int upload_fd = -1;
  std::uint64_t upload_offset = 0;
  std::uint64_t upload_length = 0;
  // Receives a 2xx response's body as it arrives (other responses are kept in HttpResponse::body).
  // Returning false aborts the transfer (perform() then throws the sink's pending error, if any).
  std::function<bool(const char* data, std::size_t size)> sink;
  // Called once the headers of a 2xx response are in (after redirects), before its body; returning
  // false aborts the transfer. Lets a ranged download check Content-Range before writing anything.
  std::function<bool(const HttpResponse& headers_only, long status)> on_headers;
  // Polled during the transfer; returning true aborts it with hearth::Error("cancelled").
  std::function<bool()> cancelled;
  bool follow_redirects = true;
  long connect_timeout_s = 15;
  long stall_timeout_s = 60;  // abort when no byte moves for this long
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, final response only
  std::vector<std::string> www_authenticate;   // every WWW-Authenticate value of the final response
  std::string body;                            // non-2xx bodies (capped), or 2xx bodies without a sink
  std::string effective_url;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  // verify_tls=false accepts any certificate (--insecure with an https registry).
  explicit HttpClient(bool verify_tls = true);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request. Throws TransportError when the exchange fails below HTTP; any HTTP status
  // (4xx, 5xx included) is returned for the caller to interpret.
  HttpResponse perform(const HttpRequest& request);

 private:
  void* curl_;  // CURL*
  bool verify_tls_;
};

// "https://host/v2/x" -> "host" (for messages).
std::string url_host(const std::string& url);
// Percent-encodes a query parameter value.
std::string url_encode(const std::string& value);
// Resolves a Location header against the URL it came from ("/v2/x/blobs/uploads/uuid?state=…").
std::string resolve_url(const std::string& base, const std::string& location);

}  // namespace hearth::store
