#pragma once
// An asynchronous HTTP/1.1 server (Boost.Beast over Asio; Beast stays inside the .cpp files).
//
// A few I/O threads serve every connection; each connection runs on its own strand, so one request's
// handler and its response writes never run concurrently. Behaviour:
//   * keep-alive and pipelining; HTTP/1.0 clients get Connection: close.
//   * limits: request header 64 KiB (431), body max_body_bytes (413, decided from Content-Length before
//     reading the body), max_connections (503 for the excess), Expect: 100-continue honoured.
//   * timeouts: idle keep-alive connections (idle_timeout), slow senders (read_timeout for the whole
//     request, 408), stalled readers (write_timeout per write); each drops only that connection.
//   * disconnects: while a response is pending the connection is watched, so a client that goes away is
//     noticed at once (Exchange::on_close) and its generation cancelled.
//   * errors on the connection level (malformed request, limits) are answered with JSON in the style of the
//     path's API before the connection is closed; closing lingers briefly to let the client read it.
//   * draining (SIGTERM): no new connections, idle ones closed, new requests on open ones get 503, pending
//     responses complete.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/exchange.h"

namespace hearth::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int io_threads = 4;
  std::int64_t max_body_bytes = 16 << 20;
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{65'000};
  std::chrono::milliseconds write_timeout{60'000};
  int max_connections = 1024;
};

using RequestHandler = std::function<void(const std::shared_ptr<Exchange>&)>;
// Called on the connection's strand when an exchange ends (response written, or connection lost):
// the request, the status sent (0 if none), seconds since the request arrived.
using ExchangeObserver = std::function<void(const HttpRequest&, int status, double seconds)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler, ExchangeObserver observer = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns the bound port. Throws hearth::Error when the address cannot be used.
  int listen();
  // Starts the I/O threads (returns at once).
  void start();

  // Stops accepting and lets open connections finish their current exchange (see above). Thread-safe.
  void begin_drain();
  bool draining() const;
  // Exchanges that have been read and whose response has not been completely written.
  int active_exchanges() const;
  int open_connections() const;
  // Closes every connection now (pending generations see their clients go away). Thread-safe.
  void close_all();
  // Stops the I/O threads and joins them. Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::server
