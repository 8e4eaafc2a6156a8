// TODO: placeholder until the owning subsystem lands.
#include "cli/commands.h"

namespace hearth::cli {

void add_tokenize_commands(CLI::App& app) { (void)app; }

}  // namespace hearth::cli
