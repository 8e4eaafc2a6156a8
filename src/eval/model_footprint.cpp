#include "eval/model_footprint.h"

#include <filesystem>
#include <string>
#include <system_error>

#include "format/model_files.h"
#include "util/error.h"

namespace hearth::eval {
namespace {

std::int64_t files_bytes(const ModelFiles& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (files.kind == ModelFiles::Kind::Gguf) {
    auto size = fs::file_size(files.path, ec);
    return ec ? 0 : static_cast<std::int64_t>(size);
  }
  std::int64_t total = 0;
  for (const auto& entry : fs::directory_iterator(files.path, ec)) {
    if (entry.path().extension() == ".safetensors" && entry.is_regular_file(ec))
      total += static_cast<std::int64_t>(entry.file_size(ec));
  }
  return total;
}

}  // namespace

ModelFootprint model_footprint(const ModelFiles& files) {
  require(files.weights != nullptr, "{}: weights are not loaded", files.path);
  const WeightStore& store = *files.weights;
  ModelFootprint f;
  f.file_bytes = files_bytes(files);
  const bool tied_output = !store.contains("output.weight");
  const ModelConfig& config = files.config;
  for (const std::string& name : store.names()) {
    std::int64_t numel = 0;
    std::int64_t bytes = 0;
    std::int64_t row_bytes = 0;
    if (const auto* parts = store.expert_parts(name); parts && !parts->empty()) {
      for (const TensorView& part : *parts) {
        numel += part.numel();
        bytes += part.nbytes;
      }
    } else if (const TensorView* view = store.find(name)) {
      numel = view->numel();
      bytes = view->nbytes;
      row_bytes = view->row_stride_bytes();
    }
    f.n_params += numel;
    f.weight_bytes += bytes;
    if (name == "token_embd.weight" && !tied_output) {
      f.bytes_per_token += row_bytes;
    } else if (name.find("_exps") != std::string::npos && config.n_experts > 0) {
      f.bytes_per_token += bytes / config.n_experts * config.n_experts_used;
    } else {
      f.bytes_per_token += bytes;
    }
  }
  return f;
}

}  // namespace hearth::eval
