// hearth search [TEXT] [--arch moe|dense|NAME] [--params 32B|30B-A3B] [--quant fp16] [--registry URL] [--insecure]
//               [--limit N] [--json]
// Lists the models a registry offers, filtered on the annotations Hearth writes at push time.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_info.h"
#include "store/reference.h"
#include "store/search.h"
#include "store/text_table.h"

namespace hearth::cli {
namespace {

struct SearchArgs {
  std::string text, arch, params, quant, registry;
  bool insecure = false, json = false;
  std::size_t limit = 0;
};

std::string get(const hearth::store::Annotations& a, std::string_view key) {
  auto it = a.find(std::string(key));
  return it == a.end() ? "-" : it->second;
}

std::string count(const hearth::store::Annotations& a, std::string_view key) {
  auto it = a.find(std::string(key));
  if (it == a.end()) return "-";
  return hearth::store::human_count(std::strtoull(it->second.c_str(), nullptr, 10));
}

void run_search(const SearchArgs& args) {
  using namespace hearth::store;
  SearchFilter filter;
  filter.text = args.text;
  filter.arch = args.arch;
  filter.quant = args.quant;
  if (!args.params.empty()) parse_params_filter(args.params, filter);
  RegistryOptions ropts;
  ropts.insecure = args.insecure;
  std::string host = default_registry();
  if (!args.registry.empty()) {
    RegistryEndpoint e = parse_registry_endpoint(args.registry);
    host = e.host;
    ropts.scheme = e.scheme;
  }
  RegistryClient client(host, ropts);
  auto hits = search_registry(client, filter, args.limit);
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hits)
      out.push_back({{"name", h.name}, {"digest", h.digest}, {"size", h.size}, {"annotations", h.annotations}});
    std::printf("%s\n", nlohmann::json{{"models", out}}.dump().c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "ARCH", "KIND", "PARAMS", "ACTIVE", "QUANT", "CONTEXT", "SIZE"}};
  for (const auto& h : hits) {
    const auto& a = h.annotations;
    rows.push_back({h.name, get(a, annotation::kArchitecture), get(a, annotation::kKind),
                    count(a, annotation::kParameters), count(a, annotation::kActiveParameters),
                    get(a, annotation::kQuantization), get(a, annotation::kContextLength), human_bytes(h.size)});
  }
  std::fputs(format_table(rows).c_str(), stdout);
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "Search a registry's models by name, architecture, size, quantization");
  cmd->add_option("text", args->text, "Text to find in model names and titles");
  cmd->add_option("--arch", args->arch, "moe, dense, or an architecture name (qwen3moe)");
  cmd->add_option("--params", args->params, "Total parameters (32B), or total and active (30B-A3B); ±10%");
  cmd->add_option("--quant", args->quant, "Quantization (fp16, bf16, q8_0, q4_k_m, ...)");
  cmd->add_option("--registry", args->registry, "Registry address (http[s]://host[:port]); default HEARTH_REGISTRY");
  cmd->add_flag("--insecure", args->insecure, "Allow plain HTTP (and unverified TLS) to the registry");
  cmd->add_option("--limit", args->limit, "Stop after this many results");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { run_search(*args); });
}

}  // namespace hearth::cli
