#include "fake_registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace hearth::test {
namespace {

const char* kToken = "fake-token-123";

void send_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string response(int status, const std::string& reason, const std::vector<std::string>& headers,
                     const std::string& body, bool head = false) {
  std::ostringstream out;
  out << "HTTP/1.1 " << status << " " << reason << "\r\n";
  for (const auto& h : headers) out << h << "\r\n";
  out << "Content-Length: " << body.size() << "\r\nConnection: close\r\n\r\n";
  if (!head) out << body;
  return out.str();
}

}  // namespace

FakeRegistry::FakeRegistry() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("fake registry: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { serve(); });
}

FakeRegistry::~FakeRegistry() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.join();
}

void FakeRegistry::add_blob(const std::string& digest, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  blobs_[digest] = bytes;
}

void FakeRegistry::add_manifest(const std::string& repo, const std::string& tag, const std::string& bytes,
                                const std::string& media_type) {
  std::lock_guard<std::mutex> lock(mutex_);
  manifests_[repo + ":" + tag] = {bytes, media_type};
}

std::vector<FakeRegistry::Request> FakeRegistry::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return log_;
}

int FakeRegistry::count(const std::string& prefix) const {
  int n = 0;
  for (const auto& r : requests()) n += r.path.rfind(prefix, 0) == 0;
  return n;
}

void FakeRegistry::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.emplace_back([this, fd] {
      handle(fd);
      ::close(fd);
    });
  }
}

void FakeRegistry::handle(int fd) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    in.append(buf, static_cast<std::size_t>(n));
  }
  Request req;
  std::istringstream lines(in.substr(0, in.find("\r\n\r\n")));
  std::string line;
  std::getline(lines, line);
  std::istringstream first(line);
  first >> req.method >> req.path;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "authorization") req.authorization = value;
    if (name == "range") req.range = value;
    if (name == "host") req.host = value;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.push_back(req);
  }
  const bool head = req.method == "HEAD";
  std::string origin = "http://127.0.0.1:" + std::to_string(port_);

  if (req.path.rfind("/token", 0) == 0) {
    return send_all(fd, response(200, "OK", {"Content-Type: application/json"},
                                 std::string(R"({"token":")") + kToken + R"(","expires_in":300})"));
  }
  auto serve_blob = [&](const std::string& digest, bool count_get) {
    std::string bytes;
    int nth = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = blobs_.find(digest);
      if (it == blobs_.end())
        return send_all(fd, response(404, "Not Found", {},
                                     R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})"));
      bytes = it->second;
      if (count_get) nth = ++blob_gets_;
    }
    if (count_get && nth <= fail_blob_requests)
      return send_all(fd, response(503, "Service Unavailable", {"Retry-After: 0"}, "busy"));
    std::size_t start = 0, end = bytes.size() - 1;
    bool ranged = false;
    unsigned long long a = 0, b = 0;
    if (std::sscanf(req.range.c_str(), "bytes=%llu-%llu", &a, &b) == 2) {
      start = a;
      end = std::min<std::size_t>(b, bytes.size() - 1);
      ranged = true;
    }
    std::string body = bytes.substr(start, end - start + 1);
    std::vector<std::string> h = {"Content-Type: application/octet-stream", "Accept-Ranges: bytes"};
    if (ranged)
      h.push_back("Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(end) + "/" +
                  std::to_string(bytes.size()));
    std::string resp = response(ranged ? 206 : 200, ranged ? "Partial Content" : "OK", h, body, head);
    if (count_get && nth > fail_blob_requests && drop_first_blob_after >= 0 &&
        body.size() > static_cast<std::size_t>(drop_first_blob_after) && !dropped_.exchange(true)) {
      // Headers plus part of the body, then the connection dies.
      std::size_t header_len = resp.size() - body.size();
      return send_all(fd, resp.substr(0, header_len + static_cast<std::size_t>(drop_first_blob_after)));
    }
    send_all(fd, resp);
  };
  if (req.path.rfind("/storage/", 0) == 0) return serve_blob(req.path.substr(9), true);

  if (require_bearer && req.authorization != std::string("Bearer ") + kToken) {
    return send_all(fd, response(401, "Unauthorized",
                                 {"WWW-Authenticate: Bearer realm=\"" + origin +
                                  "/token\",service=\"fake-registry\",scope=\"repository:library/tiny:pull\""},
                                 R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"));
  }
  auto blobs_pos = req.path.find("/blobs/");
  auto manifests_pos = req.path.find("/manifests/");
  if (req.path.rfind("/v2/", 0) == 0 && blobs_pos != std::string::npos) {
    std::string digest = req.path.substr(blobs_pos + 7);
    if (redirect_blobs && !head)
      return send_all(fd, response(307, "Temporary Redirect",
                                   {"Location: http://localhost:" + std::to_string(port_) + "/storage/" + digest}, ""));
    return serve_blob(digest, !head);
  }
  if (req.path.rfind("/v2/", 0) == 0 && manifests_pos != std::string::npos) {
    std::string key = req.path.substr(4, manifests_pos - 4) + ":" + req.path.substr(manifests_pos + 11);
    std::pair<std::string, std::string> m;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = manifests_.find(key);
      if (it == manifests_.end())
        return send_all(fd, response(404, "Not Found", {},
                                     R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"));
      m = it->second;
    }
    return send_all(fd, response(200, "OK", {"Content-Type: " + m.second}, m.first, head));
  }
  send_all(fd, response(404, "Not Found", {}, "{}"));
}

}  // namespace hearth::test
