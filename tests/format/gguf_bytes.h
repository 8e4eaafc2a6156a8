#pragma once
// Test helper: builds GGUF files byte by byte, so tests can write exactly the (broken) bytes they
// need, independent of GgufWriter.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "util/mapped_file.h"

namespace hearth::test {

class GgufBytes {
 public:
  GgufBytes& raw(const void* data, std::size_t n) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + n);
    return *this;
  }
  GgufBytes& u8(std::uint8_t v) { return raw(&v, 1); }
  GgufBytes& u32(std::uint32_t v) { return raw(&v, 4); }
  GgufBytes& i32(std::int32_t v) { return raw(&v, 4); }
  GgufBytes& u64(std::uint64_t v) { return raw(&v, 8); }
  GgufBytes& f32(float v) { return raw(&v, 4); }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
    raw("GGUF", 4);
    u32(version);
    u64(tensors);
    return u64(kvs);
  }
  // A key with a uint32 value (type 4).
  GgufBytes& kv_u32(const std::string& key, std::uint32_t v) {
    str(key);
    u32(4);
    return u32(v);
  }
  GgufBytes& kv_str(const std::string& key, const std::string& v) {
    str(key);
    u32(8);
    return str(v);
  }
  // A tensor info; dims innermost first, as stored.
  GgufBytes& tensor(const std::string& name, const std::vector<std::uint64_t>& ne, std::uint32_t type,
                    std::uint64_t offset) {
    str(name);
    u32(static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) u64(d);
    u32(type);
    return u64(offset);
  }
  GgufBytes& pad_to(std::size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
    return *this;
  }
  GgufBytes& zeros(std::size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }

  std::vector<std::uint8_t>& bytes() { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

  void write(const std::filesystem::path& path) const { write_bytes(path, bytes_); }

  static void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  static std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
    const std::string bytes = read_file(path.string());
    return {bytes.begin(), bytes.end()};
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

}  // namespace hearth::test
