#pragma once
// A read-only memory map of a whole file. Weights are served straight from the map, so a model's
// resident memory is the pages actually touched and they are shared with the page cache.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace hearth {

class MappedFile {
 public:
  // Throws hearth::Error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  void release();
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Reads a whole (small) file into a string. Throws hearth::Error naming the path on failure.
std::string read_file(const std::string& path);

}  // namespace hearth
