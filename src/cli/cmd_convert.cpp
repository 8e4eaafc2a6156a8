// TODO: placeholder until the owning subsystem lands.
#include "cli/commands.h"

namespace hearth::cli {

void add_convert_command(CLI::App& app) { (void)app; }

}  // namespace hearth::cli
