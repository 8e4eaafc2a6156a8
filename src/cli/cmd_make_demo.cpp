// TODO: placeholder until the owning subsystem lands.
#include "cli/commands.h"

namespace hearth::cli {

void add_make_demo_command(CLI::App& app) { (void)app; }

}  // namespace hearth::cli
