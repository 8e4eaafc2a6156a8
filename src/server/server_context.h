#pragma once
// What route handlers share: configuration, the engine, the prompt front end, metrics, admission control.
// Everything referenced here outlives the HTTP server.
#include <atomic>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "server/admission.h"
#include "server/engine_interface.h"
#include "server/keep_alive.h"
#include "server/prompt_frontend.h"
#include "server/server_metrics.h"

namespace hearth::server {

class JobRegistry;

struct ServerContext {
  const config::Config& config;
  GenerationService& service;
  const PromptFrontend& frontend;
  ServerMetrics& metrics;
  AdmissionController& admission;
  KeepAlive& keep_alive;
  JobRegistry& jobs;
  std::int64_t started_unix = 0;
  const std::atomic<bool>* draining = nullptr;  // set once shutdown began: /health reports 503

  const std::string& model_name() const { return service.model_info().name; }
};

}  // namespace hearth::server
