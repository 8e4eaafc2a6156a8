#pragma once
// The flags `hearth perplexity` and `hearth kld` share: how the text is chunked and scored, threads, --json.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "eval/eval_text.h"

namespace hearth::cli {

struct ScoringFlags {
  eval::ScoringOptions options;
  int threads = 0;
  bool json = false;
};

void add_scoring_flags(CLI::App* cmd, ScoringFlags& flags);
// Throws hearth::Error naming the flag that is out of range.
void check_scoring_flags(const ScoringFlags& flags);
// Writes and flushes at once, so progress lines interleave correctly with stderr.
void print_now(FILE* stream, const std::string& text);

}  // namespace hearth::cli
