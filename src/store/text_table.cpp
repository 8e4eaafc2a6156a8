#include "store/text_table.h"

#include <algorithm>

#include <fmt/format.h>

namespace hearth::store {
namespace {

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], display_width(r[i]));
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - display_width(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string time_ago(long long s) {
  if (s < 0) s = 0;
  auto plural = [](long long n, const char* unit) { return fmt::format("{} {}{} ago", n, unit, n == 1 ? "" : "s"); };
  if (s < 60) return "just now";
  if (s < 3600) return plural(s / 60, "minute");
  if (s < 86400) return plural(s / 3600, "hour");
  if (s < 86400 * 30) return plural(s / 86400, "day");
  if (s < 86400 * 365) return plural(s / (86400 * 30), "month");
  return plural(s / (86400 * 365), "year");
}

}  // namespace hearth::store
