#pragma once
// GGUF v2/v3 reader. The file is memory-mapped; tensor data is served as TensorViews into the
// map, metadata is parsed eagerly. Every length, count, offset and type is validated against
// the file size before use, so a truncated or corrupted file gives hearth::Error, never a crash.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/gguf_value.h"
#include "format/weight_store.h"
#include "tensor/tensor_view.h"
#include "util/mapped_file.h"

namespace hearth {

class GgufFile {
 public:
  // Throws hearth::Error with the path and the problem ("truncated in tensor info 12", ...).
  explicit GgufFile(const std::string& path);

  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  const std::string& path() const { return file_.path(); }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  // Typed accessors: throw hearth::Error "KEY: missing" / "KEY: expected ..., found ...".
  std::int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const GgufArray& get_array(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<std::int64_t> get_int_array(const std::string& key) const;
  std::vector<float> get_float_array(const std::string& key) const;
  // With fallbacks when the key is absent (still throw on a wrong type).
  std::int64_t get_int_or(const std::string& key, std::int64_t fallback) const;
  double get_float_or(const std::string& key, double fallback) const;
  bool get_bool_or(const std::string& key, bool fallback) const;
  std::string get_string_or(const std::string& key, const std::string& fallback) const;

  // Tensors in file order; shapes are outermost first (GGUF's ne[] reversed).
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find_tensor(const std::string& name) const;

 private:
  MappedFile file_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, std::size_t> metadata_index_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t> tensor_index_;
};

// A WeightStore over a GGUF file's tensors (stacked expert tensors stay stacked).
// Keeps `file` alive for its lifetime.
std::unique_ptr<WeightStore> gguf_weight_store(std::shared_ptr<const GgufFile> file);

}  // namespace hearth
