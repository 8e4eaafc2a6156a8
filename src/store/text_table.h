#pragma once
// Left-aligned text columns for `hearth list` / `hearth search` output.
#include <string>
#include <vector>

namespace hearth::store {

// Formats rows (the first is the header) with two spaces between columns; widths count UTF-8
// code points.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// "3 minutes ago", "2 days ago" for a time point relative to now.
std::string time_ago(long long seconds_ago);

}  // namespace hearth::store
