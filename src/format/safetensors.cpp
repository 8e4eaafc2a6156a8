#include "format/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace hearth {
namespace {

DType parse_dtype(const std::string& s, const std::string& tensor) {
  if (s == "F32") return DType::F32;
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  if (s == "F64") return DType::F64;
  if (s == "I64") return DType::I64;
  if (s == "I32") return DType::I32;
  if (s == "I16") return DType::I16;
  if (s == "I8") return DType::I8;
  fail("tensor {} has unsupported dtype {}", tensor, s);
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  try {
    const std::uint64_t size = file_.size();
    require(size >= 8, "file too short ({} bytes) for a safetensors header", size);
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, file_.data(), 8);
    require(header_len <= size - 8, "header length {} runs past the end of the file ({} bytes)", header_len, size);
    const char* header_begin = reinterpret_cast<const char*>(file_.data() + 8);
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(header_begin, header_begin + header_len);
    } catch (const nlohmann::json::exception& e) {
      fail("header is not valid JSON: {}", e.what());
    }
    require(header.is_object(), "header is not a JSON object");
    const std::uint8_t* data = file_.data() + 8 + header_len;
    const std::uint64_t data_size = size - 8 - header_len;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      require(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                  entry.contains("data_offsets"),
              "tensor {}: entry needs dtype, shape and data_offsets", name);
      TensorView view;
      view.name = name;
      try {
        view.dtype = parse_dtype(entry.at("dtype").get<std::string>(), name);
        view.shape = entry.at("shape").get<std::vector<std::int64_t>>();
        auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
        require(offsets.size() == 2, "tensor {}: data_offsets must have two entries", name);
        require(offsets[0] <= offsets[1] && offsets[1] <= data_size,
                "tensor {}: data range [{}, {}) lies outside the data section ({} bytes)", name, offsets[0],
                offsets[1], data_size);
        for (auto d : view.shape) require(d >= 0, "tensor {}: negative dimension", name);
        std::uint64_t numel = 1;
        for (auto d : view.shape) {
          require(d == 0 || numel <= data_size / static_cast<std::uint64_t>(d), "tensor {}: shape too large", name);
          numel *= static_cast<std::uint64_t>(d);
        }
        std::uint64_t expected = numel * static_cast<std::uint64_t>(dtype_info(view.dtype).block_bytes);
        require(expected == offsets[1] - offsets[0], "tensor {}: shape {} needs {} bytes but the file holds {}",
                name, view.shape_string(), expected, offsets[1] - offsets[0]);
        view.data = data + offsets[0];
        view.nbytes = static_cast<std::int64_t>(expected);
      } catch (const nlohmann::json::exception& e) {
        fail("tensor {}: malformed entry ({})", name, e.what());
      }
      tensors_.emplace(name, std::move(view));
    }
  } catch (...) {
    rethrow_with_context(path);
  }
}

}  // namespace hearth
