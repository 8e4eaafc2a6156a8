#pragma once
// A small in-process HTTP server that speaks enough of the OCI distribution API (manifests and blob
// GETs) to exercise what a stock registry rarely does: bearer-token challenges, blob redirects to
// another host, transient 503s, connections dropped mid-blob, Range requests. One thread per
// connection, one request per connection ("Connection: close").
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hearth::test {

class FakeRegistry {
 public:
  struct Request {
    std::string method, path, authorization, range, host;
  };

  FakeRegistry();
  ~FakeRegistry();

  // "127.0.0.1:PORT"; redirects go to "localhost:PORT" (another host name for the same server).
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void add_blob(const std::string& digest, const std::string& bytes);
  void add_manifest(const std::string& repo, const std::string& tag, const std::string& bytes,
                    const std::string& media_type);

  // Behaviours (set before requests arrive).
  bool require_bearer = false;      // 401 + WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",…
  bool redirect_blobs = false;      // blob GETs answer 307 to http://localhost:PORT/storage/<digest>
  int fail_blob_requests = 0;       // the first N blob GETs answer 503
  long drop_first_blob_after = -1;  // the first GET of a larger blob sends this many bytes, then closes

  std::vector<Request> requests() const;
  int count(const std::string& path_prefix) const;

 private:
  void serve();
  void handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, std::pair<std::string, std::string>> manifests_;  // "repo:tag" -> bytes, type
  std::vector<Request> log_;
  int blob_gets_ = 0;
  std::atomic<bool> dropped_{false};
};

}  // namespace hearth::test
