// hearth push NAME [--registry URL] [--insecure] [--json]
// Uploads a model from the store to the registry named in NAME (or --registry).
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_store.h"
#include "store/push.h"

namespace hearth::cli {
namespace {

struct PushArgs {
  std::string name;
  std::string registry;
  bool insecure = false;
  bool json = false;
};

void run_push(const PushArgs& args) {
  using namespace hearth::store;
  PushOptions options;
  options.insecure = args.insecure;
  if (!args.registry.empty()) options.registry = args.registry;
  ModelStore store(ModelStore::default_root());
  Progress progress(Progress::choose_mode(args.json), "uploading");
  PushResult r = push_model(store, args.name, options, progress);
  std::string dest = r.destination.registry + "/" + r.destination.repository() + ":" + r.destination.tag;
  progress.success(
      {{"model", dest}, {"digest", r.manifest_digest}, {"uploaded", r.uploaded_bytes}, {"skipped", r.skipped_bytes}},
      fmt::format("success: pushed {} ({} uploaded)", dest, human_bytes(r.uploaded_bytes)));
}

}  // namespace

void add_push_command(CLI::App& app) {
  auto args = std::make_shared<PushArgs>();
  auto* cmd = app.add_subcommand("push", "Upload a model from the local store to a registry");
  cmd->add_option("name", args->name, "Model in the store; its registry part says where to push")->required();
  cmd->add_option("--registry", args->registry, "Push to this registry (http[s]://host[:port]) instead");
  cmd->add_flag("--insecure", args->insecure, "Allow plain HTTP (and unverified TLS) to the registry");
  cmd->add_flag("--json", args->json, "Progress as JSON lines on stdout (the default when not on a terminal)");
  cmd->callback([args] { run_push(*args); });
}

}  // namespace hearth::cli
