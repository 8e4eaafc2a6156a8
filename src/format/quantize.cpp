#include "format/quantize.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "quant/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace hearth {
namespace {

// Output bytes encoded per write: bounds peak memory whatever the tensor's size.
constexpr std::size_t kChunkBytes = std::size_t{16} << 20;

// Quantized inputs are refused unless asked for: re-quantizing compounds two rounding errors.
void check_requantize(const GgufFile& in, const TensorTypePlan& plan, bool allow) {
  if (allow) return;
  for (const TensorView& t : in.tensors()) {
    if (!dtype_info(t.dtype).quantized) continue;
    const DType target = plan.type_for(t.name, t.shape);
    if (target == t.dtype) continue;
    fail(
        "{} is already quantized (tensor {} is {}); quantize from an f32, f16 or bf16 file, or pass "
        "--allow-requantize",
        in.path(), t.name, dtype_name(t.dtype));
  }
}

}  // namespace

void write_encoded(GgufWriter& writer, const TensorView& src, DType dst, ThreadPool& pool) {
  require(quant::is_supported(src.dtype), "tensor {} has type {}, which cannot be read for re-encoding", src.name,
          dtype_name(src.dtype));
  require(quant::is_supported(dst) && dst != DType::Q8_K, "cannot encode tensor {} as {}", src.name, dtype_name(dst));
  const std::int64_t n = src.row_length();
  const std::int64_t rows = src.rows();
  require(n % dtype_info(src.dtype).block_size == 0 && n % dtype_info(dst).block_size == 0,
          "tensor {} has rows of {} values, which {} cannot store", src.name, n, dtype_name(dst));
  const std::size_t src_row = static_cast<std::size_t>(row_bytes(src.dtype, n));
  const std::size_t dst_row = static_cast<std::size_t>(row_bytes(dst, n));
  const auto* in = static_cast<const std::uint8_t*>(src.data);
  const std::int64_t chunk_rows = std::max<std::int64_t>(1, static_cast<std::int64_t>(kChunkBytes / dst_row));
  if (src.dtype == dst) {
    for (std::int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
      const std::int64_t r1 = std::min(rows, r0 + chunk_rows);
      writer.write_tensor_data(in + r0 * src_row, static_cast<std::size_t>(r1 - r0) * src_row);
    }
    return;
  }
  // Per-thread scratch: the source row copied to aligned memory, and its f32 values.
  struct Scratch {
    std::vector<float> raw, f32;
  };
  std::vector<Scratch> scratch(static_cast<std::size_t>(pool.size()));
  for (auto& s : scratch) {
    s.raw.resize((src_row + sizeof(float) - 1) / sizeof(float));
    s.f32.resize(static_cast<std::size_t>(n));
  }
  std::vector<std::uint8_t> out;
  std::atomic<std::int64_t> bad_row{-1};
  for (std::int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
    const std::int64_t r1 = std::min(rows, r0 + chunk_rows);
    out.resize(static_cast<std::size_t>(r1 - r0) * dst_row);
    auto encode = [&](std::int64_t a, std::int64_t b, int thread) {
      Scratch& s = scratch[static_cast<std::size_t>(thread)];
      for (std::int64_t r = a; r < b; ++r) {
        std::memcpy(s.raw.data(), in + static_cast<std::size_t>(r0 + r) * src_row, src_row);
        quant::dequantize_row(src.dtype, s.raw.data(), s.f32.data(), n);
        if (dtype_info(dst).quantized) {  // the quantizers require finite inputs
          for (float v : s.f32)
            if (!std::isfinite(v)) {
              bad_row.store(r0 + r);
              return;
            }
        }
        quant::quantize_row(dst, s.f32.data(), out.data() + static_cast<std::size_t>(r) * dst_row, n);
      }
    };
    // Rows of K-quants cost ~microseconds each; tiny tensors are not worth waking the pool.
    if ((r1 - r0) * n < 16384)
      encode(0, r1 - r0, 0);
    else
      pool.parallel_range(r1 - r0, 1, encode);
    require(bad_row.load() < 0, "tensor {} has a non-finite value in row {}", src.name, bad_row.load());
    writer.write_tensor_data(out.data(), out.size());
  }
}

QuantizeResult quantize_gguf(const std::string& in_path, const std::string& out_path, const QuantizeOptions& options) {
  namespace fs = std::filesystem;
  require(fs::exists(in_path), "{}: no such file", in_path);
  require(fs::weakly_canonical(in_path) != fs::weakly_canonical(out_path),
          "the output {} is the input file; write to another path", out_path);
  const GgufFile in(in_path);

  std::int64_t n_layers = 0;
  bool has_output = false;
  for (const TensorView& t : in.tensors()) {
    n_layers = std::max(n_layers, layer_of(t.name) + 1);
    has_output = has_output || t.name == "output.weight";
  }
  const TensorTypePlan plan(options.mix, n_layers, has_output);
  check_requantize(in, plan, options.allow_requantize);

  ThreadPool pool(options.threads);
  GgufWriter w(out_path, in.alignment());
  bool wrote_file_type = false, wrote_qversion = false;
  for (const auto& [key, value] : in.metadata()) {
    if (key == "general.alignment") continue;  // the writer sets it from its alignment
    if (key == "general.file_type") {
      w.add_metadata(key, GgufValue::u32(options.mix.file_type));
      wrote_file_type = true;
    } else if (key == "general.quantization_version") {
      w.add_metadata(key, GgufValue::u32(2));
      wrote_qversion = true;
    } else {
      w.add_metadata(key, value);
    }
  }
  if (!wrote_file_type) w.add_metadata("general.file_type", GgufValue::u32(options.mix.file_type));
  if (!wrote_qversion) w.add_metadata("general.quantization_version", GgufValue::u32(2));

  std::vector<DType> types;
  for (const TensorView& t : in.tensors()) {
    types.push_back(plan.type_for(t.name, t.shape));
    w.add_tensor(t.name, types.back(), t.shape);
  }
  QuantizeResult result;
  const std::int64_t total = static_cast<std::int64_t>(in.tensors().size());
  for (std::size_t i = 0; i < in.tensors().size(); ++i) {
    const TensorView& t = in.tensors()[i];
    if (options.progress)
      options.progress(fmt::format("[{:>4}/{}] {:<36} {:>5} -> {:<5} {}", i + 1, total, t.name, dtype_name(t.dtype),
                                   dtype_name(types[i]), t.shape_string()));
    try {
      write_encoded(w, t, types[i], pool);
    } catch (...) {
      rethrow_with_context(in_path);
    }
    ++result.tensors;
  }
  w.finish();
  result.input_bytes = fs::file_size(in_path);
  result.output_bytes = fs::file_size(out_path);
  return result;
}

}  // namespace hearth
