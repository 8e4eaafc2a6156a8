// hearth list [--json]: the models in the local store.
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "store/fs_util.h"
#include "store/model_info.h"
#include "store/model_store.h"
#include "store/sha256.h"
#include "store/text_table.h"

namespace hearth::cli {
namespace {

std::string annotation_or_dash(const hearth::store::Annotations& a, std::string_view key) {
  auto it = a.find(std::string(key));
  return it == a.end() || it->second.empty() ? "-" : it->second;
}

long long seconds_since(std::filesystem::file_time_type t) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::filesystem::file_time_type::clock::now() - t).count();
}

void run_list(bool json) {
  using namespace hearth::store;
  ModelStore store(ModelStore::default_root());
  auto models = store.list();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : models) {
      out.push_back({{"name", m.ref.display()},
                     {"reference", m.ref.full()},
                     {"digest", m.digest},
                     {"size", m.manifest.total_size()},
                     {"modified_seconds_ago", seconds_since(m.modified)},
                     {"annotations", m.manifest.annotations}});
    }
    std::printf("%s\n", nlohmann::json{{"models", out}}.dump().c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "ID", "SIZE", "ARCH", "PARAMS", "QUANT", "MODIFIED"}};
  for (const auto& m : models) {
    const auto& a = m.manifest.annotations;
    std::string params = "-";
    if (auto it = a.find(std::string(annotation::kParameters)); it != a.end())
      params = human_count(std::strtoull(it->second.c_str(), nullptr, 10));
    rows.push_back({m.ref.display(), digest_hex(m.digest).substr(0, 12), human_bytes(m.manifest.total_size()),
                    annotation_or_dash(a, annotation::kArchitecture), params,
                    annotation_or_dash(a, annotation::kQuantization), time_ago(seconds_since(m.modified))});
  }
  std::fputs(format_table(rows).c_str(), stdout);
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("list", "List the models in the local store");
  cmd->alias("ls");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json] { run_list(*json); });
}

}  // namespace hearth::cli
