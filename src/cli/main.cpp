// hearth: one binary, one subcommand per job. Errors are one line "error: ..." on stderr with
// exit code 1; command output (text or JSON) goes to stdout.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "util/error.h"
#include "util/log.h"

int main(int argc, char** argv) {
  hearth::init_logging();
  CLI::App app{"Hearth: run mixture-of-experts language models on hardware you own"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hearth 0.1.0");
  hearth::cli::add_tokenize_commands(app);
  hearth::cli::add_render_command(app);
  hearth::cli::add_convert_command(app);
  hearth::cli::add_quantize_command(app);
  hearth::cli::add_logits_command(app);
  hearth::cli::add_run_command(app);
  hearth::cli::add_bench_command(app);
  hearth::cli::add_perplexity_command(app);
  hearth::cli::add_kld_command(app);
  hearth::cli::add_make_demo_command(app);
  hearth::cli::add_serve_command(app);
  hearth::cli::add_pull_command(app);
  hearth::cli::add_push_command(app);
  hearth::cli::add_list_command(app);
  hearth::cli::add_show_command(app);
  hearth::cli::add_rm_command(app);
  hearth::cli::add_cp_command(app);
  hearth::cli::add_create_command(app);
  hearth::cli::add_search_command(app);
  hearth::cli::add_gc_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const hearth::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
