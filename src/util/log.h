#pragma once
// Logging goes to stderr (stdout is reserved for command output and JSON). Level from
// HEARTH_LOG_LEVEL (trace|debug|info|warn|error|off), default warn for the CLI.
#include <spdlog/spdlog.h>

namespace hearth {

// Configures the default spdlog logger: stderr sink, level from HEARTH_LOG_LEVEL or `fallback`.
void init_logging(spdlog::level::level_enum fallback = spdlog::level::warn);

}  // namespace hearth
