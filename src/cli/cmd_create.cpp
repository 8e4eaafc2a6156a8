// hearth create NAME [-f Hearthfile]: builds a model in the store from a Hearthfile
// (FROM a GGUF file / Hugging Face folder / stored model, TEMPLATE, SYSTEM, PARAMETER, LICENSE).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "store/create.h"
#include "store/fs_util.h"
#include "store/hearthfile.h"
#include "store/model_store.h"
#include "util/error.h"

namespace hearth::cli {

void add_create_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>("Hearthfile");
  auto quiet = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("create", "Create a model in the local store from a Hearthfile");
  cmd->add_option("name", *name, "Name of the new model")->required();
  cmd->add_option("-f,--file", *file, "Path to the Hearthfile (default: ./Hearthfile)");
  cmd->add_flag("-q,--quiet", *quiet, "Do not print the steps (printed on a terminal only anyway)");
  cmd->callback([name, file, quiet] {
    using namespace hearth::store;
    namespace fs = std::filesystem;
    std::error_code ec;
    require(fs::is_regular_file(*file, ec), "{}: no such Hearthfile", *file);
    Hearthfile hf = parse_hearthfile(read_small_file(*file), fs::absolute(*file).parent_path());
    ModelStore store(ModelStore::default_root());
    // Steps are shown on a terminal only: in scripts stderr carries nothing but errors.
    bool show_steps = !*quiet && ::isatty(STDERR_FILENO);
    CreateResult r = create_model(store, *name, hf, [&](const std::string& step) {
      if (show_steps) std::fprintf(stderr, "%s\n", step.c_str());
    });
    std::printf("created %s (%s)\n", r.ref.display().c_str(), human_bytes(r.size).c_str());
  });
}

}  // namespace hearth::cli
