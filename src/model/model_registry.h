#pragma once
// Architectures register a factory under their GGUF architecture name from their own source file:
//   HEARTH_REGISTER_ARCHITECTURE("qwen3", Qwen3Model);
// No central list: adding an architecture is adding a file (src/model/CMakeLists.txt links the model
// library whole, so the registrations are never dropped by the linker).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"

namespace hearth {

class WeightStore;

// Binds every weight (throwing hearth::Error on a missing or mis-shaped one) and returns the model.
using ModelFactory = std::function<std::unique_ptr<Model>(const ModelConfig&, const WeightStore&, Backend&)>;

class ModelRegistry {
 public:
  static ModelRegistry& instance();
  void add(const std::string& arch, ModelFactory factory);
  // nullptr when no architecture of that name is registered.
  const ModelFactory* find(const std::string& arch) const;
  std::vector<std::string> architectures() const;

 private:
  std::map<std::string, ModelFactory> factories_;
};

struct ModelRegistration {
  ModelRegistration(const char* arch, ModelFactory factory) { ModelRegistry::instance().add(arch, std::move(factory)); }
};

#define HEARTH_REGISTER_ARCHITECTURE(arch, ModelClass)                                                 \
  static const ::hearth::ModelRegistration hearth_registration_##ModelClass(                           \
      arch, [](const ::hearth::ModelConfig& c, const ::hearth::WeightStore& w, ::hearth::Backend& b) { \
        return std::unique_ptr<::hearth::Model>(new ModelClass(c, w, b));                              \
      })

}  // namespace hearth
