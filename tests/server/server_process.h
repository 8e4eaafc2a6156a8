#pragma once
// Integration-test helpers: a real `hearth serve --fake-engine` process on 127.0.0.1 (port 0: the bound port
// is read from its "listening on" line), and a tiny blocking HTTP/1.1 client over POSIX sockets so that tests
// control every byte (slow senders, vanishing clients, pipelining).
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hearth::server::test {

class ServerProcess {
 public:
  // Starts `hearth serve --fake-engine --host 127.0.0.1 --port 0 <args>` and waits until it listens.
  // fake_engine=false leaves out --fake-engine: `args` then name a real model.
  explicit ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                         bool fake_engine = true);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  bool running();
  // Sends `signal` and waits (bounded) for the exit; returns the exit code, 128+signal, or -1 on timeout.
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string log();  // stderr so far

 private:
  int pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::mutex mutex_;
  std::string log_;
  std::thread reader_;
};

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One request on a fresh connection (Connection: close); reads the whole reply.
HttpReply http(int port, const std::string& method, const std::string& path, const std::string& body = {},
               const std::map<std::string, std::string>& headers = {});

// Raw connections.
int connect_local(int port);  // a connected socket
void send_all(int fd, const std::string& data);
// Reads until the peer closes or `timeout` passes; returns what arrived.
std::string read_until_close(int fd, std::chrono::milliseconds timeout);
// Reads until `needle` has arrived (or timeout); returns everything read.
std::string read_until(int fd, const std::string& needle, std::chrono::milliseconds timeout);
// Parses one raw response (status line, headers, body, chunked or not).
HttpReply parse_reply(const std::string& raw);
// True when the peer has closed the connection within `timeout` (reads and discards data).
bool closed_by_peer(int fd, std::chrono::milliseconds timeout);

}  // namespace hearth::server::test
