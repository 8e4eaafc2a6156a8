#pragma once
// `hearth serve` as an object: wires configuration, the engine, the prompt front end, admission control,
// metrics, routes and the HTTP server, then serves until SIGTERM/SIGINT.
//
// Shutdown (SIGTERM or SIGINT): stop accepting, report 503 on /health, let in-flight requests finish within
// server.shutdown_timeout, then cancel what is left (clients get an error / the end of their stream), close
// the connections, stop the engine and return 0. A second signal skips the grace period.
#include <memory>

#include "config/config.h"
#include "server/engine_interface.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

// Blocks SIGTERM, SIGINT (and ignores SIGPIPE) in the calling thread, so that every thread started
// afterwards inherits the mask and ServerApp::run() alone receives them. Call before starting any thread.
void block_shutdown_signals();

class ServerApp {
 public:
  ServerApp(config::Config config, std::unique_ptr<GenerationService> service,
            std::unique_ptr<PromptFrontend> frontend);
  ~ServerApp();

  // Listens, prints "hearth: listening on http://HOST:PORT" on stderr, serves until a shutdown signal and
  // shuts down gracefully. Returns the process exit code. Throws hearth::Error when it cannot listen.
  int run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hearth::server
