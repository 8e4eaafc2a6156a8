#pragma once
// Reader for Hugging Face safetensors files: an 8-byte header length, a JSON header, then raw
// little-endian tensor data. Tensors are served as views into the memory map.
#include <map>
#include <memory>
#include <string>

#include "tensor/tensor_view.h"
#include "util/mapped_file.h"

namespace hearth {

class SafetensorsFile {
 public:
  // Maps and validates the file: header bounds, dtypes (F32/F16/BF16 and integer types),
  // shapes against byte ranges, ranges inside the data section. Throws hearth::Error.
  explicit SafetensorsFile(const std::string& path);

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::string& path() const { return file_.path(); }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace hearth
