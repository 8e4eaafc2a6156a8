#include "eval/process_memory.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace hearth::eval {
namespace {

// "VmHWM:\t  123456 kB" -> bytes; -1 when the line is absent or malformed.
std::int64_t field_bytes(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    if (line_start && pos + key.size() < text.size() && text[pos + key.size()] == ':') break;
    pos += key.size();
  }
  if (pos == std::string_view::npos) return -1;
  std::size_t p = pos + key.size() + 1;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data() + p, text.data() + text.size(), value);
  if (ec != std::errc()) return -1;
  std::string_view rest = text.substr(static_cast<std::size_t>(end - text.data()));
  return rest.starts_with(" kB") ? value * 1024 : value;
}

}  // namespace

ProcessMemory parse_proc_status(std::string_view text) {
  ProcessMemory m;
  m.peak_rss_bytes = field_bytes(text, "VmHWM");
  m.rss_bytes = field_bytes(text, "VmRSS");
  m.rss_file_bytes = field_bytes(text, "RssFile");
  m.rss_anon_bytes = field_bytes(text, "RssAnon");
  return m;
}

ProcessMemory read_process_memory() {
  std::ifstream file("/proc/self/status");
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return parse_proc_status(text.str());
}

}  // namespace hearth::eval
