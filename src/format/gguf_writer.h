#pragma once
// GGUF v3 writer, streaming: metadata and tensor infos are declared first, then tensor data is
// written tensor by tensor in declaration order, so converting a model needs memory for about
// one tensor, not the model. Output goes to PATH.tmp and is renamed to PATH by finish(): a failed
// or interrupted write never leaves a half-written file under the final name.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "format/gguf_value.h"
#include "tensor/dtype.h"

namespace hearth {

class GgufWriter {
 public:
  explicit GgufWriter(std::string path, std::uint64_t alignment = 32);
  ~GgufWriter();  // removes the temporary file if finish() was not reached
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  void add_metadata(const std::string& key, GgufValue value);
  // Declares a tensor (shape outermost first, as TensorView). All tensors are declared before
  // the first write_tensor_data().
  void add_tensor(const std::string& name, DType type, const std::vector<std::int64_t>& shape);
  // Appends the bytes of the next declared tensor; may be called several times per tensor
  // (e.g. once per expert of a stacked tensor) until its size is reached.
  void write_tensor_data(const void* data, std::size_t nbytes);
  // Checks every tensor got exactly its bytes, flushes, fsyncs and renames into place.
  void finish();

 private:
  // Implementation-defined members.
  struct Impl;
  Impl* impl_;
};

}  // namespace hearth
