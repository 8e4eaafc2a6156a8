// hearth show MODEL [--json] [--template | --system | --parameters | --license]
// What a model is: architecture, parameters (total and active), quantization, context length,
// chat template, license, size. MODEL is a store name, a GGUF file or a Hugging Face folder.
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_info.h"
#include "store/model_store.h"
#include "store/resolve.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

namespace fs = std::filesystem;

struct ShowArgs {
  std::string model;
  bool json = false, template_only = false, system_only = false, parameters_only = false, license_only = false;
};

std::uint64_t path_size(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return fs::file_size(p, ec);
  std::uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

// The first `n` lines of `text`, indented, with a note when cut.
std::string excerpt(const std::string& text, int n) {
  std::string out;
  int lines = 0;
  std::size_t pos = 0;
  while (pos < text.size() && lines < n) {
    std::size_t end = text.find('\n', pos);
    out += "    " + text.substr(pos, end == std::string::npos ? std::string::npos : end - pos) + "\n";
    ++lines;
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  if (pos < text.size()) out += "    …\n";
  return out;
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void run_show(const ShowArgs& args) {
  using namespace hearth::store;
  int selectors = args.template_only + args.system_only + args.parameters_only + args.license_only;
  require(selectors <= 1, "choose one of --template, --system, --parameters, --license");
  ResolvedModel r = resolve_model(args.model);
  ModelInfo info = inspect_model(r.path);
  std::string chat_template = r.chat_template.empty() ? info.chat_template : r.chat_template;
  std::string license = r.license.empty() ? info.license : r.license;
  std::uint64_t size = path_size(r.path);
  if (r.ref) size = ModelStore(ModelStore::default_root()).get(*r.ref).manifest.total_size();

  if (args.template_only) return print(chat_template.empty() ? "" : chat_template + "\n");
  if (args.system_only) return print(r.system_prompt.empty() ? "" : r.system_prompt + "\n");
  if (args.parameters_only) return print(r.params.empty() ? "" : r.params.dump(2) + "\n");
  if (args.license_only) return print(license.empty() ? "" : license + "\n");

  if (args.json) {
    nlohmann::json j = {{"name", r.ref ? r.ref->display() : args.model},
                        {"path", r.path},
                        {"format", info.format},
                        {"architecture", info.architecture},
                        {"moe", info.moe},
                        {"parameters", info.parameters},
                        {"active_parameters", info.active_parameters},
                        {"quantization", info.quantization},
                        {"context_length", info.context_length},
                        {"size", size},
                        {"template", chat_template},
                        {"system", r.system_prompt},
                        {"params", r.params},
                        {"license", license}};
    if (info.moe) j["experts"] = {{"count", info.n_experts}, {"used", info.n_experts_used}};
    if (r.ref) j["digest"] = r.manifest_digest;
    print(j.dump() + "\n");
    return;
  }
  std::string out = "  Model\n";
  auto row = [&](const std::string& k, const std::string& v) { out += fmt::format("    {:<20}{}\n", k, v); };
  if (r.ref) row("name", r.ref->display());
  row("architecture", info.architecture.empty() ? "unknown" : info.architecture);
  std::string params = human_count(info.parameters);
  if (info.moe) params += fmt::format(" ({} active)", human_count(info.active_parameters));
  row("parameters", params);
  if (info.moe) row("experts", fmt::format("{} ({} per token)", info.n_experts, info.n_experts_used));
  row("quantization", info.quantization.empty() ? "unknown" : info.quantization);
  row("context length", info.context_length > 0 ? std::to_string(info.context_length) : "unknown");
  row("format", info.format);
  row("size", human_bytes(size));
  out += "\n  Template\n" + (chat_template.empty() ? std::string("    (none)\n") : excerpt(chat_template, 6));
  if (!r.system_prompt.empty()) out += "\n  System\n" + excerpt(r.system_prompt, 6);
  if (!r.params.empty()) {
    out += "\n  Parameters\n";
    for (const auto& [k, v] : r.params.items()) out += fmt::format("    {:<20}{}\n", k, v.dump());
  }
  out += "\n  License\n" + (license.empty() ? std::string("    (none)\n") : excerpt(license, 4));
  print(out);
}

}  // namespace

void add_show_command(CLI::App& app) {
  auto args = std::make_shared<ShowArgs>();
  auto* cmd = app.add_subcommand("show", "Show a model's architecture, parameters, quantization, template, license");
  cmd->add_option("model", args->model, "Model name in the store, GGUF file, or Hugging Face folder")->required();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_flag("--template", args->template_only, "Print only the chat template");
  cmd->add_flag("--system", args->system_only, "Print only the system prompt");
  cmd->add_flag("--parameters", args->parameters_only, "Print only the default parameters (JSON)");
  cmd->add_flag("--license", args->license_only, "Print only the license");
  cmd->callback([args] { run_show(*args); });
}

}  // namespace hearth::cli
