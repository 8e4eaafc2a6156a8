#include "format/json_file.h"

#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {

nlohmann::json read_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", path, e.what());
  }
}

}  // namespace hearth
