#pragma once
// Test-only safetensors writer: an 8-byte little-endian header length, the JSON header (padded
// with spaces to a multiple of 8), then the tensors' bytes back to back.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hearth::test {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "BF16", "F32", ...
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

inline std::string safetensors_header(const std::vector<SafetensorsEntry>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';
  return text;
}

inline void write_safetensors(const std::filesystem::path& path, const std::vector<SafetensorsEntry>& tensors) {
  std::string header = safetensors_header(tensors);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::uint64_t len = header.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& t : tensors)
    out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
}

}  // namespace hearth::test
