#include "server/http_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/api_error.h"

namespace hearth::server::detail {

namespace {

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

constexpr std::size_t kReadChunk = 4096;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// Pipelined bytes buffered while a response is pending; beyond this the connection is no longer watched.
constexpr std::size_t kMaxPipelinedBytes = 64 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 1 << 20;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool is_disconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::operation_aborted || ec == beast::error::timeout;
}

}  // namespace

// ---------------------------------------------------------------------------------------------- ExchangeImpl

ExchangeImpl::ExchangeImpl(std::shared_ptr<HttpSession> session, HttpRequest request, bool keep_alive, unsigned version,
                           bool head)
    : session_(std::move(session)),
      request_(std::move(request)),
      keep_alive_(keep_alive),
      version_(version),
      head_(head) {}

void ExchangeImpl::respond(HttpResponse response) {
  if (state_ != State::kOpen) return;
  state_ = State::kResponded;
  status_ = response.status;
  session_->send_response(*this, std::move(response));
}

void ExchangeImpl::begin_stream(int status, HttpHeaders headers) {
  if (state_ != State::kOpen) return;
  state_ = State::kStreaming;
  streamed_ = true;
  status_ = status;
  session_->send_stream_header(*this, status, std::move(headers));
}

void ExchangeImpl::write(std::string data) {
  if (state_ != State::kStreaming || data.empty()) return;
  session_->send_chunk(std::move(data));
}

void ExchangeImpl::end_stream() {
  if (state_ != State::kStreaming) return;
  state_ = State::kResponded;
  session_->send_stream_end();
}

void ExchangeImpl::add_response_header(std::string name, std::string value) {
  extra_.add(std::move(name), std::move(value));
}

void ExchangeImpl::post(std::function<void()> fn) { session_->post(std::move(fn)); }

void ExchangeImpl::connection_lost() {
  const bool pending = is_open();
  state_ = State::kClosed;
  auto fn = std::move(on_close_);
  on_close_ = nullptr;
  if (pending && fn) fn();
}

// ----------------------------------------------------------------------------------------------- HttpSession

HttpSession::HttpSession(tcp::socket socket, std::shared_ptr<ServerShared> shared)
    : stream_(std::move(socket)), shared_(std::move(shared)) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

HttpSession::~HttpSession() {
  if (counted_) --shared_->connections;
  std::lock_guard lock(shared_->sessions_mutex);
  shared_->sessions.erase(this);
}

void HttpSession::register_session() {
  std::lock_guard lock(shared_->sessions_mutex);
  shared_->sessions[this] = weak_from_this();
}

void HttpSession::start() {
  counted_ = true;  // the listener counted this connection
  register_session();
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_next(); });
}

void HttpSession::drain() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_ && !self->exchange_) self->close_now();
  });
}

void HttpSession::close() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

void HttpSession::reject_overload() {
  register_session();
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->idle_ = false;
    self->connection_error(503, "Too many open connections (server.max_connections). Retry later.");
  });
}

void HttpSession::post(std::function<void()> fn) { net::post(stream_.get_executor(), std::move(fn)); }

// --------------------------------------------------------------------------------------------------- reading

void HttpSession::read_next() {
  if (closed_ || lingering_) return;
  idle_ = true;
  if (shared_->draining) return close_gracefully();
  if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
  stream_.expires_after(shared_->options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->buffer_.commit(n);
                            if (ec)
                              return self->close_now();  // idle timeout, or the client closed its keep-alive connection
                            self->read_header();
                          });
}

void HttpSession::read_header() {
  if (closed_) return;
  idle_ = false;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(static_cast<std::uint64_t>(shared_->options.max_body_bytes));
  // The whole request (header and body) must arrive within read_timeout: slow senders cannot hold a connection.
  stream_.expires_after(shared_->options.read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  if (shared_->draining) return connection_error(503, "The server is shutting down.");
  auto& req = parser_->get();
  if (iequals(sv(req[http::field::expect]), "100-continue") && !parser_->is_done()) {
    auto data = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    net::async_write(stream_.socket(), net::buffer(*data),
                     [self = shared_from_this(), data](beast::error_code ec2, std::size_t) {
                       if (ec2) return self->close_now();
                       self->read_body();
                     });
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  if (closed_) return;
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec) return on_read_error(ec);
  dispatch();
}

void HttpSession::on_read_error(beast::error_code ec) {
  if (closed_) return;
  if (ec == http::error::body_limit) {
    return connection_error(413, fmt::format("The request body is larger than the limit of {} bytes "
                                             "(server.max_body_bytes).",
                                             shared_->options.max_body_bytes));
  }
  if (ec == http::error::header_limit) {
    return connection_error(431, fmt::format("The request header is larger than {} bytes.", kHeaderLimit));
  }
  if (is_disconnect(ec)) {
    // A timeout here is a client that sent part of a request too slowly; Beast has already closed the socket.
    if (ec == beast::error::timeout) spdlog::debug("{}: request not received within read_timeout", remote_);
    return close_now();
  }
  connection_error(400, "Malformed HTTP request: " + ec.message() + ".");
}

void HttpSession::dispatch() {
  auto msg = parser_->release();
  parser_.reset();
  HttpRequest req;
  req.method = std::string(sv(msg.method_string()));
  req.target = std::string(sv(msg.target()));
  std::string_view target = req.target;
  // Absolute-form targets (proxies): keep only the path.
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    auto slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const auto q = target.find('?');
  const bool path_ok = percent_decode(target.substr(0, q), req.path);
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) req.headers.add(std::string(sv(field.name_string())), std::string(sv(field.value())));
  req.body = std::move(msg.body());
  req.remote = remote_;
  req.received = std::chrono::steady_clock::now();

  exchange_ = std::make_shared<ExchangeImpl>(shared_from_this(), std::move(req), msg.keep_alive(), msg.version(),
                                             msg.method() == http::verb::head);
  ++shared_->active_exchanges;
  start_watch();
  auto ex = exchange_;
  const ErrorStyle style = error_style_for_path(ex->request().path);
  if (shared_->draining) {
    ex->respond(error_response(ApiError::unavailable("The server is shutting down."), style));
    return;
  }
  if (!path_ok || ex->request().path.empty() || ex->request().path[0] != '/') {
    ex->respond(error_response(ApiError::bad_request("Malformed request target."), style));
    return;
  }
  try {
    shared_->handler(ex);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", ex->request().method, ex->request().path, e.what());
    ex->respond(error_response(ApiError::internal("Internal error."), style));
  }
}

// Reads while a response is pending: a client that closes its connection is noticed right away.
void HttpSession::start_watch() {
  if (watching_ || closed_ || lingering_ || !exchange_) return;
  if (buffer_.size() >= kMaxPipelinedBytes) return;
  watching_ = true;
  stream_.expires_never();
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_watch(ec, n); });
}

void HttpSession::on_watch(beast::error_code ec, std::size_t n) {
  watching_ = false;
  buffer_.commit(n);
  if (closed_) return;
  if (lingering_) {
    if (ec && ec != net::error::operation_aborted) return close_now();
    return linger();
  }
  if (resume_after_watch_) {  // the exchange ended while watching; go on with the next request
    resume_after_watch_ = false;
    if (ec && ec != net::error::operation_aborted) return close_now();
    return read_next();
  }
  if (ec) {
    if (ec == net::error::operation_aborted) return;
    spdlog::debug("{}: client went away during a request", remote_);
    return close_now();
  }
  if (exchange_) start_watch();
}

// --------------------------------------------------------------------------------------------------- writing

bool HttpSession::keep_alive_for(const ExchangeImpl& ex) const { return ex.keep_alive() && !shared_->draining; }

template <class Message>
void HttpSession::add_common_headers(Message& m, const ExchangeImpl* ex, bool keep_alive) {
  m.set(http::field::server, "hearth");
  if (ex) {
    for (const auto& [name, value] : ex->extra_headers().fields()) m.insert(name, value);
  }
  m.keep_alive(keep_alive);
}

void HttpSession::send_response(ExchangeImpl& ex, HttpResponse r) {
  const bool keep = keep_alive_for(ex);
  OutItem item;
  item.ends_exchange = true;
  item.close_after = !keep;
  if (ex.head()) {
    item.kind = OutItem::Kind::kHeadResponse;
    item.header = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), ex.version());
    for (const auto& [name, value] : r.headers.fields()) item.header->set(name, value);
    add_common_headers(*item.header, &ex, keep);
    item.header->content_length(r.body.size());
    item.serializer = std::make_shared<http::response_serializer<http::empty_body>>(*item.header);
  } else {
    item.kind = OutItem::Kind::kResponse;
    item.response =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), ex.version());
    for (const auto& [name, value] : r.headers.fields()) item.response->set(name, value);
    add_common_headers(*item.response, &ex, keep);
    item.response->body() = std::move(r.body);
    item.response->prepare_payload();
  }
  queue(std::move(item));
}

void HttpSession::send_stream_header(ExchangeImpl& ex, int status, HttpHeaders headers) {
  chunked_ = ex.version() >= 11;
  const bool keep = chunked_ && keep_alive_for(ex);  // HTTP/1.0: the end of the stream is the end of the connection
  stream_keep_alive_ = keep;
  OutItem item;
  item.kind = OutItem::Kind::kStreamHeader;
  item.header = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(status), ex.version());
  for (const auto& [name, value] : headers.fields()) item.header->set(name, value);
  add_common_headers(*item.header, &ex, keep);
  if (chunked_) item.header->chunked(true);
  item.serializer = std::make_shared<http::response_serializer<http::empty_body>>(*item.header);
  queue(std::move(item));
}

void HttpSession::send_chunk(std::string data) {
  OutItem item;
  item.kind = OutItem::Kind::kChunk;
  item.data = std::move(data);
  queue(std::move(item));
}

void HttpSession::send_stream_end() {
  OutItem item;
  item.kind = OutItem::Kind::kStreamEnd;
  item.ends_exchange = true;
  item.close_after = !stream_keep_alive_ || shared_->draining;
  queue(std::move(item));
}

void HttpSession::connection_error(int status, const std::string& message) {
  std::string path;
  if (parser_ && parser_->is_header_done()) path = std::string(sv(parser_->get().target()));
  HttpResponse r = error_response(
      ApiError{
          status, message, status >= 500 ? "server_error" : "invalid_request_error", {}, {}, status == 503 ? 1 : 0},
      error_style_for_path(path));
  OutItem item;
  item.kind = OutItem::Kind::kResponse;
  item.response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  for (const auto& [name, value] : r.headers.fields()) item.response->set(name, value);
  add_common_headers(*item.response, nullptr, false);
  item.response->body() = std::move(r.body);
  item.response->prepare_payload();
  item.close_after = true;
  queue(std::move(item));
}

void HttpSession::queue(OutItem item) {
  if (closed_) return;
  out_.push_back(std::move(item));
  do_write();
}

void HttpSession::do_write() {
  if (writing_ || out_.empty() || closed_) return;
  if (out_.front().kind == OutItem::Kind::kChunk) {
    // Tokens that piled up while the previous write was in flight go out as one chunk. (Only the front is
    // erased from: erasing inside a deque would invalidate references to its elements.)
    std::size_t n = 1;
    while (n < out_.size() && out_[n].kind == OutItem::Kind::kChunk) ++n;
    if (n > 1) {
      OutItem merged;
      merged.kind = OutItem::Kind::kChunk;
      for (std::size_t i = 0; i < n; ++i) merged.data += out_[i].data;
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(n));
      out_.push_front(std::move(merged));
    }
  }
  OutItem& item = out_.front();
  writing_ = true;
  stream_.expires_after(shared_->options.write_timeout);
  auto handler = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); };
  switch (item.kind) {
    case OutItem::Kind::kResponse:
      http::async_write(stream_, *item.response, std::move(handler));
      break;
    case OutItem::Kind::kHeadResponse:
    case OutItem::Kind::kStreamHeader:
      http::async_write_header(stream_, *item.serializer, std::move(handler));
      break;
    case OutItem::Kind::kChunk:
      if (chunked_) {
        net::async_write(stream_, http::make_chunk(net::buffer(item.data)), std::move(handler));
      } else {
        net::async_write(stream_, net::buffer(item.data), std::move(handler));
      }
      break;
    case OutItem::Kind::kStreamEnd:
      if (chunked_) {
        net::async_write(stream_, http::make_chunk_last(), std::move(handler));
      } else {
        net::post(stream_.get_executor(), [handler = std::move(handler)]() mutable { handler({}, 0); });
      }
      break;
    case OutItem::Kind::kRaw:
      net::async_write(stream_, net::buffer(item.data), std::move(handler));
      break;
  }
}

void HttpSession::on_write(beast::error_code ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    // A client that stopped reading (write_timeout) or went away: drop it, cancelling its generation.
    spdlog::debug("{}: write failed: {}", remote_, ec.message());
    return close_now();
  }
  OutItem item = std::move(out_.front());
  out_.pop_front();
  if (item.ends_exchange) {
    finish_exchange();
    if (item.close_after || shared_->draining) return close_gracefully();
    return resume_reading();
  }
  if (item.close_after) return close_gracefully();
  do_write();
}

void HttpSession::resume_reading() {
  if (watching_) {  // the watch read holds the socket: stop it, then read the next request
    resume_after_watch_ = true;
    beast::error_code ec;
    stream_.socket().cancel(ec);
    return;
  }
  read_next();
}

void HttpSession::finish_exchange() {
  auto ex = std::move(exchange_);
  exchange_.reset();
  if (ex) {
    --shared_->active_exchanges;
    ex->done();
    if (shared_->observer) shared_->observer(ex->request(), ex->status(), seconds_since(ex->request().received));
  }
}

// --------------------------------------------------------------------------------------------------- closing

void HttpSession::close_gracefully() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  // Keep reading (and discarding) for a moment: closing with unread data makes the kernel send a reset,
  // which can destroy the response before the client has read it (e.g. a 413 for a body still arriving).
  if (watching_) {
    stream_.socket().cancel(ec);  // on_watch continues with linger()
    return;
  }
  linger();
}

void HttpSession::linger() {
  if (closed_) return;
  stream_.expires_after(kLingerTime);
  stream_.async_read_some(net::buffer(linger_buffer_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->lingered_ += n;
                            if (ec || self->lingered_ > kMaxLingerBytes) return self->close_now();
                            self->linger();
                          });
}

void HttpSession::close_now() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  if (auto ex = std::move(exchange_)) {
    exchange_.reset();
    --shared_->active_exchanges;
    ex->connection_lost();
    if (shared_->observer) shared_->observer(ex->request(), ex->status(), seconds_since(ex->request().received));
  }
}

}  // namespace hearth::server::detail
