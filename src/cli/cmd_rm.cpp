// hearth rm NAME... [--keep-blobs]: removes models from the store, then the blobs no other model uses.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_store.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct RmArgs {
  std::vector<std::string> names;
  bool keep_blobs = false;
};

void run_rm(const RmArgs& args) {
  using namespace hearth::store;
  ModelStore store(ModelStore::default_root());
  // Check every name first: a typo in the third name must not leave the first two removed.
  std::vector<ModelReference> refs;
  for (const auto& n : args.names) {
    ModelReference ref = parse_reference(n);
    require(std::filesystem::exists(store.manifest_path(ref)), "model '{}' not found (see `hearth list`)", n);
    refs.push_back(ref);
  }
  for (const auto& ref : refs) {
    store.remove_manifest(ref);
    std::printf("deleted %s\n", ref.display().c_str());
  }
  if (args.keep_blobs) return;
  // Another hearth process (a pull) holds the store: its blobs must stay; gc can run later.
  StoreLock lock = store.try_lock(StoreLock::Mode::Exclusive);
  if (!lock.held()) {
    std::fprintf(stderr, "note: the store is in use; run `hearth gc` later to free the space\n");
    return;
  }
  lock = StoreLock();
  GcReport r = store.gc();
  if (r.blobs_removed) std::printf("freed %s\n", human_bytes(r.bytes_freed).c_str());
}

}  // namespace

void add_rm_command(CLI::App& app) {
  auto args = std::make_shared<RmArgs>();
  auto* cmd = app.add_subcommand("rm", "Remove models from the local store (and blobs no other model uses)");
  cmd->add_option("names", args->names, "Model names")->required();
  cmd->add_flag("--keep-blobs", args->keep_blobs, "Remove only the names; keep the blobs until `hearth gc`");
  cmd->callback([args] { run_rm(*args); });
}

}  // namespace hearth::cli
