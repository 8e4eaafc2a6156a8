#include "server/stream_framing.h"

#include <cassert>

namespace hearth::server {

std::string sse_event(std::string_view json) {
  assert(json.find('\n') == std::string_view::npos);
  std::string out;
  out.reserve(json.size() + 8);
  out += "data: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string sse_done() { return "data: [DONE]\n\n"; }

std::string ndjson_line(std::string_view json) {
  assert(json.find('\n') == std::string_view::npos);
  std::string out(json);
  out += '\n';
  return out;
}

HttpHeaders sse_headers() {
  HttpHeaders h;
  h.set("Content-Type", "text/event-stream; charset=utf-8");
  h.set("Cache-Control", "no-cache");
  h.set("X-Accel-Buffering", "no");
  return h;
}

HttpHeaders ndjson_headers() {
  HttpHeaders h;
  h.set("Content-Type", "application/x-ndjson");
  h.set("Cache-Control", "no-cache");
  h.set("X-Accel-Buffering", "no");
  return h;
}

}  // namespace hearth::server
