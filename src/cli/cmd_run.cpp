// TODO: placeholder until the owning subsystem lands.
#include "cli/commands.h"

namespace hearth::cli {

void add_run_command(CLI::App& app) { (void)app; }

}  // namespace hearth::cli
