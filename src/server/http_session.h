#pragma once
// Internal to http_server.cpp / http_session.cpp: one TCP connection and the Exchange it hands to handlers.
// Everything in HttpSession runs on the connection's strand except the methods marked thread-safe.
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "server/http_server.h"

namespace hearth::server::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class HttpSession;

// State shared by the listener and every session.
struct ServerShared {
  HttpServerOptions options;
  RequestHandler handler;
  ExchangeObserver observer;
  std::atomic<bool> draining{false};
  std::atomic<int> connections{0};
  std::atomic<int> active_exchanges{0};
  std::mutex sessions_mutex;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions;
};

class ExchangeImpl;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<ServerShared> shared);
  ~HttpSession();

  void start();            // thread-safe
  void drain();            // thread-safe: closes the connection if it is between requests
  void close();            // thread-safe: closes now
  void reject_overload();  // thread-safe: answers 503 and closes (too many connections)

  // Called by ExchangeImpl on the strand.
  void send_response(ExchangeImpl& ex, HttpResponse response);
  void send_stream_header(ExchangeImpl& ex, int status, HttpHeaders headers);
  void send_chunk(std::string data);
  void send_stream_end();
  void post(std::function<void()> fn);

 private:
  struct OutItem {
    enum class Kind { kResponse, kHeadResponse, kStreamHeader, kChunk, kStreamEnd, kRaw };
    Kind kind = Kind::kRaw;
    std::shared_ptr<http::response<http::string_body>> response;
    std::shared_ptr<http::response<http::empty_body>> header;
    std::shared_ptr<http::response_serializer<http::empty_body>> serializer;
    std::string data;
    bool ends_exchange = false;
    bool close_after = false;
  };

  void read_next();
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void on_read_error(beast::error_code ec);
  void dispatch();
  void start_watch();
  void on_watch(beast::error_code ec, std::size_t n);
  void queue(OutItem item);
  void do_write();
  void on_write(beast::error_code ec);
  void finish_exchange();
  void resume_reading();
  void connection_error(int status, const std::string& message);
  void close_gracefully();
  void linger();
  void close_now();
  void register_session();
  bool keep_alive_for(const ExchangeImpl& ex) const;
  template <class Message>
  void add_common_headers(Message& m, const ExchangeImpl* ex, bool keep_alive);

  beast::tcp_stream stream_;
  std::shared_ptr<ServerShared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ExchangeImpl> exchange_;
  std::deque<OutItem> out_;
  std::string remote_;
  bool writing_ = false;
  bool watching_ = false;
  bool resume_after_watch_ = false;
  bool idle_ = true;
  bool closed_ = false;
  bool lingering_ = false;
  bool counted_ = false;           // included in shared_->connections
  bool chunked_ = true;            // the current stream uses chunked encoding (HTTP/1.1)
  bool stream_keep_alive_ = true;  // the current stream's connection stays open afterwards
  std::size_t lingered_ = 0;
  std::array<char, 4096> linger_buffer_{};
};

class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(std::shared_ptr<HttpSession> session, HttpRequest request, bool keep_alive, unsigned version, bool head);

  HttpRequest& request() override { return request_; }
  void respond(HttpResponse response) override;
  void begin_stream(int status, HttpHeaders headers) override;
  void write(std::string data) override;
  void end_stream() override;
  void add_response_header(std::string name, std::string value) override;
  void post(std::function<void()> fn) override;
  void on_close(std::function<void()> fn) override { on_close_ = std::move(fn); }
  bool is_open() const override { return state_ == State::kOpen || state_ == State::kStreaming; }
  bool streaming() const override { return streamed_; }

  // Session side.
  void connection_lost();  // calls the on_close callback if the response had not been handed over
  void done() { on_close_ = nullptr; }
  const HttpHeaders& extra_headers() const { return extra_; }
  bool keep_alive() const { return keep_alive_; }
  unsigned version() const { return version_; }
  bool head() const { return head_; }
  int status() const { return status_; }

 private:
  enum class State { kOpen, kStreaming, kResponded, kClosed };
  std::shared_ptr<HttpSession> session_;
  HttpRequest request_;
  HttpHeaders extra_;
  std::function<void()> on_close_;
  State state_ = State::kOpen;
  bool streamed_ = false;
  bool keep_alive_;
  unsigned version_;
  bool head_;
  int status_ = 0;
};

}  // namespace hearth::server::detail
