#pragma once
// This process's memory as the kernel accounts it (Linux /proc/self/status). Peak RSS includes the pages
// of memory-mapped weights that were touched, so for a model run it is about file size + KV + buffers.
#include <cstdint>
#include <string_view>

namespace hearth::eval {

struct ProcessMemory {
  std::int64_t peak_rss_bytes = -1;  // VmHWM; -1 when unknown (no /proc)
  std::int64_t rss_bytes = -1;       // VmRSS
  std::int64_t rss_file_bytes = -1;  // RssFile: mapped file pages (weights)
  std::int64_t rss_anon_bytes = -1;  // RssAnon: heap (KV cache, activations, logits)
};

ProcessMemory read_process_memory();
// Parses the text of a /proc/PID/status file (fields absent stay -1).
ProcessMemory parse_proc_status(std::string_view status_text);

}  // namespace hearth::eval
