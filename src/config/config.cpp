#include "config/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/option_table.h"
#include "util/error.h"

extern char** environ;

namespace hearth::config {

namespace {

// Collects every problem so that one run of the server reports all of them.
class Problems {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  void throw_if_any() const {
    if (messages_.empty()) return;
    throw Error(fmt::format("{}", fmt::join(messages_, "; ")));
  }

 private:
  std::vector<std::string> messages_;
};

RawValue raw_from_yaml(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return RawValue::of(node.Scalar());
    case YAML::NodeType::Sequence: {
      RawValue v{RawValue::Shape::kList, {}, {}, false};
      for (const auto& item : node) {
        if (item.IsScalar()) {
          v.items.push_back(item.Scalar());
        } else {
          v.list_of_non_scalars = true;
        }
      }
      return v;
    }
    case YAML::NodeType::Map:
      return RawValue{RawValue::Shape::kMap, {}, {}, false};
    default:
      return RawValue{RawValue::Shape::kNull, {}, {}, false};
  }
}

bool is_section(const std::string& path) {
  const std::string prefix = path + ".";
  for (const auto& o : option_table()) {
    if (o.path.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

std::string where(const std::string& file_name, const YAML::Mark& mark) {
  if (mark.line < 0) return file_name;
  return fmt::format("{}:{}", file_name, mark.line + 1);
}

void walk_mapping(const YAML::Node& map, const std::string& prefix, const std::string& file_name, Config& config,
                  Problems& problems) {
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    const std::string key = key_node.IsScalar() ? key_node.Scalar() : std::string("?");
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const std::string at = where(file_name, key_node.Mark());
    if (const OptionSpec* option = find_option(path)) {
      RawValue raw = raw_from_yaml(value);
      if (raw.shape == RawValue::Shape::kNull) continue;  // "key:" with no value keeps the default
      try {
        option->apply(config, raw);
      } catch (const ValueError& e) {
        problems.add(fmt::format("{}: {}: {}", at, path, e.what()));
      }
    } else if (is_section(path)) {
      if (value.IsMap()) {
        walk_mapping(value, path, file_name, config, problems);
      } else if (!value.IsNull()) {
        problems.add(fmt::format("{}: {}: expected a mapping, got {}", at, path, describe(raw_from_yaml(value))));
      }
    } else {
      std::string hint = closest_option_path(path);
      problems.add(hint.empty() ? fmt::format("{}: unknown key {}", at, path)
                                : fmt::format("{}: unknown key {} (did you mean {}?)", at, path, hint));
    }
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read config file {}: {}", path, std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    std::size_t b = item.find_first_not_of(" \t");
    std::size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) items.push_back(item.substr(b, e - b + 1));
  }
  return items;
}

}  // namespace

std::string_view overload_policy_name(OverloadPolicy policy) {
  switch (policy) {
    case OverloadPolicy::kReject:
      return "reject";
    case OverloadPolicy::kCapMaxTokens:
      return "cap_max_tokens";
    case OverloadPolicy::kShedLongest:
      return "shed_longest";
  }
  return "reject";
}

Config parse_config_yaml(const std::string& text, const std::string& file_name, Config base) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("{}:{}:{}: invalid YAML: {}", file_name, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (root.IsNull()) return base;  // an empty file is valid: every default applies
  if (!root.IsMap())
    fail("{}: expected a mapping of keys at the top level, got {}", file_name, describe(raw_from_yaml(root)));
  Problems problems;
  walk_mapping(root, "", file_name, base, problems);
  problems.throw_if_any();
  return base;
}

Config load_config(const ConfigSources& sources) {
  Config config;
  std::optional<std::string> file = sources.file;
  if (!file) {
    if (auto it = sources.env.find("HEARTH_CONFIG"); it != sources.env.end() && !it->second.empty()) file = it->second;
  }
  if (file) config = parse_config_yaml(read_file(*file), *file, config);

  Problems problems;
  for (const auto& option : option_table()) {
    auto it = sources.env.find(option.env);
    if (it == sources.env.end()) continue;
    RawValue raw =
        option.kind == ValueKind::kStringList ? RawValue::list(split_list(it->second)) : RawValue::of(it->second);
    try {
      option.apply(config, raw);
    } catch (const ValueError& e) {
      problems.add(fmt::format("{} ({}): {}", option.path, option.env, e.what()));
    }
  }
  for (const auto& [path, values] : sources.flags) {
    const OptionSpec* option = find_option(path);
    if (!option) {
      problems.add(fmt::format("unknown configuration key {}", path));
      continue;
    }
    if (values.empty()) continue;
    RawValue raw = option->kind == ValueKind::kStringList ? RawValue::list(values) : RawValue::of(values.back());
    try {
      option->apply(config, raw);
    } catch (const ValueError& e) {
      problems.add(fmt::format("{} ({}): {}", option->path, option->flag, e.what()));
    }
  }
  problems.throw_if_any();
  return config;
}

std::map<std::string, std::string> hearth_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("HEARTH_", 0) != 0) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::string dump_config_yaml(const Config& config) {
  std::string top;
  std::vector<std::pair<std::string, std::string>> sections;  // in table order
  for (const auto& option : option_table()) {
    const auto dot = option.path.find('.');
    if (dot == std::string::npos) {
      top += fmt::format("{}: {}\n", option.path, option.show(config));
      continue;
    }
    const std::string name = option.path.substr(0, dot);
    if (sections.empty() || sections.back().first != name) sections.emplace_back(name, name + ":\n");
    sections.back().second += fmt::format("  {}: {}\n", option.path.substr(dot + 1), option.show(config));
  }
  for (const auto& [name, text] : sections) top += text;
  return top;
}

}  // namespace hearth::config
