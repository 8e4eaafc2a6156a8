// hearth pull NAME[:TAG] [--variant V] [--output DIR] [--registry URL] [--insecure] [--limit-rate BYTES_PER_S] [--json]
// Downloads a model from an OCI registry into the store (or DIR), verified and resumable.
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_store.h"
#include "store/pull.h"

namespace hearth::cli {
namespace {

struct PullArgs {
  std::string name;
  std::string variant;
  std::string output;
  std::string registry;
  std::string limit_rate;
  bool insecure = false;
  bool json = false;
};

void run_pull(const PullArgs& args) {
  using namespace hearth::store;
  PullOptions options;
  options.variant = args.variant;
  options.insecure = args.insecure;
  if (!args.registry.empty()) options.registry = args.registry;
  if (!args.output.empty()) options.output = std::filesystem::absolute(args.output);
  std::string rate = args.limit_rate;
  if (rate.empty())
    if (const char* env = std::getenv("HEARTH_LIMIT_RATE"); env && *env) rate = env;
  if (!rate.empty()) options.limit_rate = parse_rate(rate);

  ModelStore store(ModelStore::default_root());
  Progress progress(Progress::choose_mode(args.json), "downloading");
  PullResult r = pull_model(store, args.name, options, progress);
  nlohmann::json summary = {{"model", r.ref.display()},   {"digest", r.manifest_digest},
                            {"total", r.total_bytes},     {"downloaded", r.downloaded_bytes},
                            {"resumed", r.resumed_bytes}, {"present", r.present_bytes}};
  if (!r.output.empty()) summary["output"] = r.output.string();
  progress.success(summary, fmt::format("success: {} ({})", r.output.empty() ? r.ref.display() : r.output.string(),
                                        human_bytes(r.total_bytes)));
}

}  // namespace

void add_pull_command(CLI::App& app) {
  auto args = std::make_shared<PullArgs>();
  auto* cmd = app.add_subcommand("pull", "Download a model from a registry into the local store");
  cmd->add_option("name", args->name, "Model reference: [REGISTRY/][NAMESPACE/]NAME[:TAG]")->required();
  cmd->add_option("--variant", args->variant, "Variant to pull (quantization: fp16, q4_k_m, ...)");
  cmd->add_option("--output,-o", args->output, "Write the model's files to this folder instead of the store");
  cmd->add_option("--registry", args->registry, "Registry address (http[s]://host[:port]) replacing NAME's");
  cmd->add_flag("--insecure", args->insecure, "Allow plain HTTP (and unverified TLS) to the registry");
  cmd->add_option("--limit-rate", args->limit_rate, "Cap the download speed, bytes/s (10M, 500K); HEARTH_LIMIT_RATE");
  cmd->add_flag("--json", args->json, "Progress as JSON lines on stdout (the default when not on a terminal)");
  cmd->callback([args] { run_pull(*args); });
}

}  // namespace hearth::cli
