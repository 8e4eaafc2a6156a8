#pragma once
// Reason phrases of the HTTP status codes Hearth sends (server) or meets (registry client).
#include <string_view>

namespace hearth {

// "Not Found" for 404; empty for a code not in the table.
std::string_view http_status_text(long status);

}  // namespace hearth
