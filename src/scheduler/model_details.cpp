#include "scheduler/model_details.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>

#include "chat/chat_template.h"
#include "store/model_info.h"

namespace hearth::scheduler {

namespace fs = std::filesystem;

std::string format_parameter_count(std::uint64_t n) {
  const double v = static_cast<double>(n);
  if (v >= 1e9) return fmt::format("{:.1f}B", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.0f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.0f}K", v / 1e3);
  return std::to_string(n);
}

namespace {
std::int64_t size_on_disk(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return static_cast<std::int64_t>(fs::file_size(path, ec));
  std::int64_t total = 0;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const auto ext = entry.path().extension();
    if (ext == ".safetensors" || ext == ".gguf") total += static_cast<std::int64_t>(fs::file_size(entry.path(), ec));
  }
  return total;
}

std::int64_t modified_unix(const fs::path& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  if (ec) return 0;
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}
}  // namespace

server::ModelInfo describe_model(const store::ResolvedModel& resolved, const ModelFiles& meta,
                                 const std::string& name) {
  server::ModelInfo info;
  info.name = name;
  info.path = resolved.path;
  info.architecture = meta.config.arch;
  info.family = meta.config.arch;
  info.format = meta.kind == ModelFiles::Kind::Gguf ? "gguf" : "safetensors";
  info.digest = resolved.manifest_digest;
  info.size_bytes = size_on_disk(resolved.path);
  info.created_unix = modified_unix(resolved.path);
  info.chat_template = meta.chat_template;
  try {
    const store::ModelInfo inspected = store::inspect_model(resolved.path);
    info.parameter_size = format_parameter_count(inspected.parameters);
    std::string q = inspected.quantization;
    std::transform(q.begin(), q.end(), q.begin(), [](unsigned char c) { return std::toupper(c); });
    info.quantization = q;
  } catch (const std::exception& e) {
    spdlog::warn("could not inspect {}: {}", resolved.path, e.what());
  }
  if (!meta.chat_template.empty()) {
    try {
      ChatTemplate tpl(meta.chat_template);
      info.supports_tools = tpl.references("tools");
      info.supports_thinking = tpl.references("enable_thinking");
    } catch (const std::exception& e) {
      spdlog::warn("the chat template of {} does not parse: {}", resolved.path, e.what());
    }
  }
  return info;
}

}  // namespace hearth::scheduler
