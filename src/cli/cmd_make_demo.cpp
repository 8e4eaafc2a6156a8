// hearth make-demo DIR: writes the demo model's Hugging Face folder (used by the build; see
// src/demo/demo_model.h). Hidden from --help: it is a build step, not a user command.
#include <fmt/format.h>

#include "cli/commands.h"
#include "demo/demo_model.h"

namespace hearth::cli {

void add_make_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("make-demo", "Write the demo model (a small Qwen3-MoE HF folder)");
  cmd->group("");  // hidden
  auto folder = std::make_shared<std::string>();
  auto seed = std::make_shared<unsigned>(1234);
  cmd->add_option("folder", *folder, "Output folder")->required();
  cmd->add_option("--seed", *seed, "Random seed for the weights");
  cmd->callback([folder, seed] {
    auto info = demo::write_demo_model(*folder, *seed);
    fmt::print(stderr, "demo model: {} ({} parameters, vocabulary {})\n", *folder, info.parameters, info.vocab_size);
  });
}

}  // namespace hearth::cli
