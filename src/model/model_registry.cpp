#include "model/model_registry.h"

#include "util/error.h"

namespace hearth {

ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry registry;
  return registry;
}

void ModelRegistry::add(const std::string& arch, ModelFactory factory) {
  require(factories_.emplace(arch, std::move(factory)).second, "architecture {} registered twice", arch);
}

const ModelFactory* ModelRegistry::find(const std::string& arch) const {
  auto it = factories_.find(arch);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> ModelRegistry::architectures() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

}  // namespace hearth
