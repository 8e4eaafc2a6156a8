#include "model_sources.h"

#include <map>
#include <memory>
#include <mutex>

#include "format/hf_to_gguf.h"
#include "test_support.h"

namespace hearth::test {

std::filesystem::path hf_model_dir(const std::string& name) { return shared_dir() / "models" / name; }

std::filesystem::path converted_gguf(const std::string& name, DType type) {
  static std::mutex mutex;
  static std::unique_ptr<TempDir> dir;
  static std::map<std::pair<std::string, DType>, std::filesystem::path> done;
  std::lock_guard<std::mutex> lock(mutex);
  if (!dir) dir = std::make_unique<TempDir>();
  auto key = std::make_pair(name, type);
  if (auto it = done.find(key); it != done.end()) return it->second;
  auto out = *dir / (name + "-" + std::string(dtype_name(type)) + ".gguf");
  ConvertOptions options;
  options.type = type;
  convert_hf_to_gguf(hf_model_dir(name).string(), out.string(), options);
  done[key] = out;
  return out;
}

}  // namespace hearth::test
