#pragma once
// GGUF -> GGUF re-encoding with a quantization mixture (what `hearth quantize IN OUT TYPE` runs), and the
// row encoder it shares with `hearth convert --type`.
//
// Streaming: tensors are read from the memory-mapped input and written one at a time, a bounded block of
// rows at a time, so peak memory is about one block (tens of MB) plus the pages of the mapping in use.
// Rows are encoded on a thread pool. Metadata is copied unchanged except general.file_type (the mixture's
// LLAMA_FTYPE) and general.quantization_version (2).
#include <cstdint>
#include <functional>
#include <string>

#include "format/quantize_mix.h"
#include "tensor/tensor_view.h"

namespace hearth {

class GgufWriter;
class ThreadPool;

struct QuantizeOptions {
  QuantMix mix;
  int threads = 0;                // <= 0: one per core
  bool allow_requantize = false;  // accept inputs whose matrices are already quantized
  // Called once per tensor before it is written ("[  3/40] blk.0.attn_q.weight  bf16 -> q4_K [2048, 2048]").
  std::function<void(const std::string&)> progress;
};

struct QuantizeResult {
  std::int64_t tensors = 0;
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
};

// Throws hearth::Error naming the problem (missing/unreadable input, unknown architecture layout, an input that
// is already quantized without allow_requantize, non-finite weights); on failure no file is left at out_path.
QuantizeResult quantize_gguf(const std::string& in_path, const std::string& out_path, const QuantizeOptions& options);

// Appends `src` (any type quant::dequantize_row reads: f32, f16, bf16, q8_0, q4_0, q4_K, q5_K, q6_K) to the
// writer's current tensor, encoded as `dst`, a block of rows at a time on `pool`. Rows of the same type are
// copied byte for byte. Source data needs no particular alignment. Throws for non-finite values.
void write_encoded(GgufWriter& writer, const TensorView& src, DType dst, ThreadPool& pool);

}  // namespace hearth
