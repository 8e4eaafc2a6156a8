// hearth gc [--dry-run] [--partial] [--json]: deletes blobs no model references, stale temporary
// files and, with --partial, interrupted downloads (which a later pull would otherwise resume).
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_store.h"

namespace hearth::cli {

void add_gc_command(CLI::App& app) {
  struct Args {
    bool dry_run = false, partial = false, json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("gc", "Delete blobs no model uses (and, with --partial, interrupted downloads)");
  cmd->add_flag("--dry-run", args->dry_run, "Only report what would be deleted");
  cmd->add_flag("--partial", args->partial, "Also delete interrupted downloads");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] {
    using namespace hearth::store;
    ModelStore store(ModelStore::default_root());
    GcReport r = store.gc(args->dry_run, args->partial);
    if (args->json) {
      nlohmann::json j = {{"dry_run", args->dry_run},
                          {"blobs_removed", r.blobs_removed},
                          {"bytes_freed", r.bytes_freed},
                          {"temp_files_removed", r.temp_files_removed},
                          {"partial_removed", r.partial_removed},
                          {"folders_removed", r.folders_removed}};
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("%s %llu unused blob%s, %s%s\n", args->dry_run ? "would delete" : "deleted",
                static_cast<unsigned long long>(r.blobs_removed), r.blobs_removed == 1 ? "" : "s",
                human_bytes(r.bytes_freed).c_str(),
                r.partial_removed ? fmt::format(" ({} interrupted downloads)", r.partial_removed).c_str() : "");
  });
}

}  // namespace hearth::cli
