#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself on the root CLI::App.
// Contracts (arguments, JSON shapes) are those of DESIGN.md section 5.
#include <CLI/CLI.hpp>

namespace hearth::cli {

void add_tokenize_commands(CLI::App& app);  // tokenize, detokenize
void add_render_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);       // bench, perplexity, kld: measurement (src/eval)
void add_perplexity_command(CLI::App& app);
void add_kld_command(CLI::App& app);
void add_make_demo_command(CLI::App& app);
void add_serve_command(CLI::App& app);
// Model library (src/store): pull, push, list, show, rm, cp, create, search, gc.
void add_pull_command(CLI::App& app);
void add_push_command(CLI::App& app);
void add_list_command(CLI::App& app);
void add_show_command(CLI::App& app);
void add_rm_command(CLI::App& app);
void add_cp_command(CLI::App& app);
void add_create_command(CLI::App& app);
void add_search_command(CLI::App& app);
void add_gc_command(CLI::App& app);

}  // namespace hearth::cli
