#include "model_sources.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "format/hf_to_gguf.h"
#include "test_support.h"

namespace hearth::test {

std::filesystem::path hf_model_dir(const std::string& name) { return shared_dir() / "models" / name; }

std::filesystem::path converted_gguf(const std::string& name, DType type) {
  static std::mutex mutex;
  static std::unique_ptr<TempDir> own_dir;
  static std::map<std::pair<std::string, DType>, std::filesystem::path> done;
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(name, type);
  if (auto it = done.find(key); it != done.end()) return it->second;
  // Under ctest every test runs in its own process, and one conversion takes seconds under the sanitizers, so the
  // processes of one run share them in HEARTH_TEST_GGUF_CACHE, which a fixture empties at the start of the run
  // (tests/CMakeLists.txt): no run reads an older build's conversion. Elsewhere: a folder of this process.
  std::filesystem::path folder;
  if (const char* cache = std::getenv("HEARTH_TEST_GGUF_CACHE"); cache != nullptr && *cache != '\0') {
    folder = cache;
    std::filesystem::create_directories(folder);
  } else {
    if (!own_dir) own_dir = std::make_unique<TempDir>();
    folder = own_dir->path();
  }
  const std::string file_name = name + "-" + std::string(dtype_name(type)) + ".gguf";
  const auto out = folder / file_name;
  if (!std::filesystem::exists(out)) {
    // The rename is atomic, so another process sees a whole file or none; two that convert at once write the
    // same bytes.
    const auto part = folder / (file_name + "." + std::to_string(::getpid()) + ".part");
    ConvertOptions options;
    options.type = type;
    convert_hf_to_gguf(hf_model_dir(name).string(), part.string(), options);
    std::filesystem::rename(part, out);
  }
  done[key] = out;
  return out;
}

}  // namespace hearth::test
