#include "format/hf_to_gguf.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "format/gguf_model_config.h"
#include "format/gguf_writer.h"
#include "format/hf_tokenizer_gguf.h"
#include "format/model_config.h"
#include "format/model_tensors.h"
#include "format/weight_store.h"
#include "tensor/tensor_view.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& p) {
  try {
    return nlohmann::json::parse(read_file(p.string()));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", p.string(), e.what());
  }
}

// Norms, biases and the router stay F32: llama.cpp requires it, and they are tiny.
DType target_type(const ExpectedTensor& t, DType requested) {
  if (t.shape.size() == 1 || t.name.ends_with(".ffn_gate_inp.weight")) return DType::F32;
  return requested;
}

// Converts `src` (one tensor or one expert) to `dst` and appends it to the writer, a block of rows
// at a time. Source rows are copied to an aligned buffer first: safetensors data need not be
// aligned for its element type.
void write_converted(GgufWriter& w, const TensorView& src, DType dst) {
  require(src.dtype == DType::F32 || src.dtype == DType::F16 || src.dtype == DType::BF16,
          "tensor {} has type {}; only f32, f16 and bf16 weights can be converted", src.name, dtype_name(src.dtype));
  const std::int64_t n = src.row_length();
  const std::int64_t rows = src.rows();
  const std::size_t src_row_bytes = static_cast<std::size_t>(row_bytes(src.dtype, n));
  const std::size_t dst_row_bytes = static_cast<std::size_t>(row_bytes(dst, n));
  const std::int64_t rows_per_chunk =
      std::max<std::int64_t>(1, (std::int64_t{4} << 20) / std::max<std::size_t>(dst_row_bytes, 1));
  std::vector<float> src_row(static_cast<std::size_t>(n));  // float-aligned scratch for the source bytes
  std::vector<float> f32(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> out;
  for (std::int64_t r0 = 0; r0 < rows; r0 += rows_per_chunk) {
    const std::int64_t r1 = std::min(rows, r0 + rows_per_chunk);
    out.resize(static_cast<std::size_t>(r1 - r0) * dst_row_bytes);
    for (std::int64_t r = r0; r < r1; ++r) {
      std::uint8_t* dst_row = out.data() + static_cast<std::size_t>(r - r0) * dst_row_bytes;
      const std::uint8_t* src_bytes =
          static_cast<const std::uint8_t*>(src.data) + static_cast<std::size_t>(r) * src_row_bytes;
      if (src.dtype == dst) {
        std::memcpy(dst_row, src_bytes, src_row_bytes);
        continue;
      }
      std::memcpy(src_row.data(), src_bytes, src_row_bytes);
      row_to_f32(src.dtype, src_row.data(), f32.data(), n);
      switch (dst) {
        case DType::F32:
          std::memcpy(dst_row, f32.data(), dst_row_bytes);
          break;
        case DType::F16:
          for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t h = f32_to_f16(f32[static_cast<std::size_t>(i)]);
            std::memcpy(dst_row + 2 * i, &h, 2);
          }
          break;
        case DType::BF16:
          for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t b = f32_to_bf16(f32[static_cast<std::size_t>(i)]);
            std::memcpy(dst_row + 2 * i, &b, 2);
          }
          break;
        default:
          fail("cannot convert to {}", dtype_name(dst));
      }
    }
    w.write_tensor_data(out.data(), out.size());
  }
}

}  // namespace

std::optional<DType> parse_convert_type(const std::string& name) {
  auto t = dtype_from_name(name);
  if (t && (*t == DType::F32 || *t == DType::F16 || *t == DType::BF16)) return t;
  return std::nullopt;
}

std::uint32_t gguf_file_type(DType type) {
  switch (type) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::Q4_0:
      return 2;
    case DType::Q4_1:
      return 3;
    case DType::Q8_0:
      return 7;
    case DType::Q5_0:
      return 8;
    case DType::Q5_1:
      return 9;
    case DType::Q6_K:
      return 18;
    case DType::BF16:
      return 32;
    default:
      fail("no GGUF file type for {}", dtype_name(type));
  }
}

ConvertResult convert_hf_to_gguf(const std::string& hf_dir, const std::string& out_path,
                                 const ConvertOptions& options) {
  require(options.type == DType::F32 || options.type == DType::F16 || options.type == DType::BF16,
          "convert writes f32, f16 or bf16 weights, not {}", dtype_name(options.type));
  const fs::path dir(hf_dir);
  require(fs::is_directory(dir), "{}: not a folder (expected a Hugging Face model folder)", hf_dir);
  require(fs::exists(dir / "config.json"), "{}: no config.json (expected a Hugging Face model folder)", hf_dir);
  ModelConfig config;
  try {
    config = model_config_from_hf(read_json(dir / "config.json"));
  } catch (...) {
    rethrow_with_context((dir / "config.json").string());
  }
  std::unique_ptr<WeightStore> weights = load_hf_weights(hf_dir, config.arch);
  check_weights(*weights, config);
  const std::vector<ExpectedTensor> tensors = expected_tensors(config);

  GgufWriter w(out_path);
  write_model_config(w, config);
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  w.add_metadata("general.type", GgufValue::str("model"));
  if (!name.empty()) w.add_metadata("general.name", GgufValue::str(name));
  w.add_metadata("general.file_type", GgufValue::u32(gguf_file_type(options.type)));
  w.add_metadata("general.quantization_version", GgufValue::u32(2));
  if (fs::path gen = dir / "generation_config.json"; fs::exists(gen))
    write_sampling_defaults(w, generation_config_from_hf(read_json(gen)));
  write_hf_tokenizer(w, hf_dir, config.vocab_size);

  for (const auto& t : tensors) w.add_tensor(t.name, target_type(t, options.type), t.shape);
  ConvertResult result;
  for (const auto& t : tensors) {
    const DType dst = target_type(t, options.type);
    if (options.progress) {
      TensorView shape_only;
      shape_only.shape = t.shape;
      DType src = t.stacked_experts && weights->expert_parts(t.name) ? weights->expert_parts(t.name)->front().dtype
                                                                     : weights->find(t.name)->dtype;
      options.progress(fmt::format("[{:>4}/{}] {:<32} {:>4} -> {:<4} {}", result.tensors + 1, tensors.size(), t.name,
                                   dtype_name(src), dtype_name(dst), shape_only.shape_string()));
    }
    if (t.stacked_experts) {
      const std::vector<std::int64_t> expert_shape(t.shape.begin() + 1, t.shape.end());
      for (std::int64_t e = 0; e < t.shape[0]; ++e) write_converted(w, weights->expert(t.name, e, expert_shape), dst);
    } else {
      write_converted(w, weights->get(t.name, t.shape), dst);
    }
    ++result.tensors;
  }
  w.finish();
  result.file_bytes = fs::file_size(out_path);
  return result;
}

}  // namespace hearth
