#include "cli/scoring_flags.h"

#include "util/error.h"

namespace hearth::cli {

void add_scoring_flags(CLI::App* cmd, ScoringFlags& flags) {
  cmd->add_option("-c,--ctx", flags.options.ctx, "Tokens per chunk; the second half of each is scored")
      ->capture_default_str();
  cmd->add_option("--chunks", flags.options.max_chunks, "Score at most this many chunks (0: all)")
      ->capture_default_str();
  cmd->add_option("-b,--batch", flags.options.batch_size, "Tokens per forward pass (does not change the result)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", flags.threads, "CPU threads (default: one per core)");
  cmd->add_flag("--json", flags.json, "Print the result as one JSON object (progress on stderr)");
}

void check_scoring_flags(const ScoringFlags& flags) {
  require(flags.threads >= 0, "-t must be >= 0 (0: one per core), got {}", flags.threads);
  require(flags.options.batch_size >= 1, "-b must be >= 1, got {}", flags.options.batch_size);
  require(flags.options.max_chunks >= 0, "--chunks must be >= 0 (0: all), got {}", flags.options.max_chunks);
}

void print_now(FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

}  // namespace hearth::cli
