#include "util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace hearth {

void init_logging(spdlog::level::level_enum fallback) {
  auto logger = spdlog::stderr_color_mt("hearth");
  logger->set_pattern("%^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = fallback;
  if (const char* env = std::getenv("HEARTH_LOG_LEVEL")) level = spdlog::level::from_str(env);
  spdlog::set_level(level);
}

}  // namespace hearth
