#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "server/http_session.h"
#include "util/error.h"

namespace hearth::server {

using namespace detail;

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions options, RequestHandler handler, ExchangeObserver observer)
      : ioc(std::max(1, options.io_threads)),
        shared(std::make_shared<ServerShared>()),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {
    shared->options = std::move(options);
    shared->handler = std::move(handler);
    shared->observer = std::move(observer);
  }

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        // Out of file descriptors and the like: wait a little instead of spinning.
        spdlog::warn("accept failed: {}", ec.message());
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) do_accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);  // tokens go out as soon as they exist
      auto session = std::make_shared<HttpSession>(std::move(socket), shared);
      if (shared->connections.fetch_add(1) >= shared->options.max_connections) {
        --shared->connections;
        session->reject_overload();
      } else {
        session->start();
      }
      do_accept();
    });
  }

  std::vector<std::shared_ptr<HttpSession>> live_sessions() {
    std::vector<std::shared_ptr<HttpSession>> out;
    std::lock_guard lock(shared->sessions_mutex);
    for (auto& [ptr, weak] : shared->sessions) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  net::io_context ioc;
  std::shared_ptr<ServerShared> shared;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler, ExchangeObserver observer)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(observer))) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::listen() {
  const auto& o = impl_->shared->options;
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto results = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) fail("cannot resolve listen address {}: {}", o.host, ec.message());
  tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on {}:{}: {}", o.host, o.port, ec.message());
  return acceptor.local_endpoint().port();
}

void HttpServer::start() {
  impl_->work.emplace(impl_->ioc.get_executor());
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->do_accept(); });
  const int n = std::max(1, impl_->shared->options.io_threads);
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] {
      for (;;) {
        try {
          impl->ioc.run();
          return;
        } catch (const std::exception& e) {
          // A handler threw past every guard: log it and keep the server serving.
          spdlog::error("I/O thread: {}", e.what());
        }
      }
    });
  }
}

void HttpServer::begin_drain() {
  if (impl_->shared->draining.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->accept_retry.cancel();
  });
  for (auto& s : impl_->live_sessions()) s->drain();
}

bool HttpServer::draining() const { return impl_->shared->draining.load(); }

int HttpServer::active_exchanges() const { return impl_->shared->active_exchanges.load(); }

int HttpServer::open_connections() const { return impl_->shared->connections.load(); }

void HttpServer::close_all() {
  for (auto& s : impl_->live_sessions()) s->close();
}

void HttpServer::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace hearth::server
