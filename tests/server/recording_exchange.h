#pragma once
// An Exchange without a socket: records what a handler sends, and runs posted work on the test's thread
// (which plays the connection's strand) in run_until_done().
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/exchange.h"

namespace hearth::server::test {

class RecordingExchange final : public Exchange {
 public:
  explicit RecordingExchange(HttpRequest request) : request_(std::move(request)) {}

  static std::shared_ptr<RecordingExchange> make(std::string method, std::string path, std::string body = {},
                                                 HttpHeaders headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = path;
    r.target = std::move(path);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return std::make_shared<RecordingExchange>(std::move(r));
  }

  HttpRequest& request() override { return request_; }
  void respond(HttpResponse response) override {
    if (!open_) return;
    status = response.status;
    headers = response.headers;
    body = response.body;
    finish();
  }
  void begin_stream(int s, HttpHeaders h) override {
    if (!open_ || streaming_) return;
    streaming_ = true;
    status = s;
    headers = std::move(h);
  }
  void write(std::string data) override {
    if (open_ && streaming_) body += data;
  }
  void end_stream() override {
    if (open_ && streaming_) finish();
  }
  void add_response_header(std::string name, std::string value) override {
    extra_headers.add(std::move(name), std::move(value));
  }
  void post(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(fn));
    cv_.notify_all();
  }
  void on_close(std::function<void()> fn) override { on_close_ = std::move(fn); }
  bool is_open() const override { return open_; }
  bool streaming() const override { return streaming_; }

  // Runs posted work until the response is complete; false on timeout.
  bool run_until_done(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return run_until([this] { return !open_; }, timeout);
  }
  // Runs posted work until `pred` holds; false on timeout.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        // Wake up now and then: `pred` may also be changed by other threads (the engine's).
        const auto wake = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
        if (!cv_.wait_until(lock, wake, [this] { return !tasks_.empty(); })) {
          if (std::chrono::steady_clock::now() >= deadline) return pred();
          continue;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return true;
  }
  // Runs whatever is queued now, without waiting.
  void run_pending() {
    for (;;) {
      std::function<void()> task;
      {
        std::lock_guard lock(mutex_);
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  // The client goes away.
  void disconnect() {
    const bool was_open = open_;
    open_ = false;
    if (was_open && on_close_) {
      auto fn = std::move(on_close_);
      fn();
    }
  }

  int status = 0;
  HttpHeaders headers;
  HttpHeaders extra_headers;
  std::string body;

 private:
  void finish() {
    open_ = false;
    on_close_ = nullptr;
  }

  HttpRequest request_;
  bool open_ = true;
  bool streaming_ = false;
  std::function<void()> on_close_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace hearth::server::test
