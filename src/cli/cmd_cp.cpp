// hearth cp SOURCE DESTINATION: gives a stored model another name (same blobs, no copy of data).
// Naming it for a registry ("127.0.0.1:5000/team/model:v1") prepares a `hearth push`.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "store/model_store.h"

namespace hearth::cli {

void add_cp_command(CLI::App& app) {
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("cp", "Copy a model in the local store to a new name");
  cmd->add_option("source", *src, "Existing model name")->required();
  cmd->add_option("destination", *dst, "New name")->required();
  cmd->callback([src, dst] {
    using namespace hearth::store;
    ModelStore store(ModelStore::default_root());
    ModelReference from = parse_reference(*src);
    ModelReference to = parse_reference(*dst);
    StoreLock lock = store.lock(StoreLock::Mode::Shared);
    store.copy(from, to);
    std::printf("copied %s to %s\n", from.display().c_str(), to.display().c_str());
  });
}

}  // namespace hearth::cli
