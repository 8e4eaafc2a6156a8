#include "format/hf_to_gguf.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "format/gguf_model_config.h"
#include "format/json_file.h"
#include "format/gguf_writer.h"
#include "format/hf_tokenizer_gguf.h"
#include "format/model_config.h"
#include "format/model_tensors.h"
#include "format/quantize.h"
#include "format/weight_store.h"
#include "tensor/tensor_view.h"
#include "util/error.h"
#include "util/mapped_file.h"
#include "util/thread_pool.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;

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
  QuantMix mix;
  if (options.mix) {
    mix = *options.mix;
  } else {
    require(options.type == DType::F32 || options.type == DType::F16 || options.type == DType::BF16,
            "convert writes f32, f16 or bf16 weights, not {}", dtype_name(options.type));
    mix = *find_quant_mix(dtype_name(options.type));
  }
  const fs::path dir(hf_dir);
  require(fs::is_directory(dir), "{}: not a folder (expected a Hugging Face model folder)", hf_dir);
  require(fs::exists(dir / "config.json"), "{}: no config.json (expected a Hugging Face model folder)", hf_dir);
  ModelConfig config;
  try {
    config = model_config_from_hf(read_json_file((dir / "config.json").string()));
  } catch (...) {
    rethrow_with_context((dir / "config.json").string());
  }
  std::unique_ptr<WeightStore> weights = load_hf_weights(hf_dir, config.arch);
  check_weights(*weights, config);
  const std::vector<ExpectedTensor> tensors = expected_tensors(config);
  bool has_output = false;
  for (const auto& t : tensors) has_output = has_output || t.name == "output.weight";
  const TensorTypePlan plan(mix, config.n_layers, has_output);
  auto target_type = [&](const ExpectedTensor& t) { return plan.type_for(t.name, t.shape); };
  ThreadPool pool(options.threads);

  GgufWriter w(out_path);
  write_model_config(w, config);
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  w.add_metadata("general.type", GgufValue::str("model"));
  if (!name.empty()) w.add_metadata("general.name", GgufValue::str(name));
  w.add_metadata("general.file_type", GgufValue::u32(mix.file_type));
  w.add_metadata("general.quantization_version", GgufValue::u32(2));
  if (fs::path gen = dir / "generation_config.json"; fs::exists(gen))
    write_sampling_defaults(w, generation_config_from_hf(read_json_file(gen.string())));
  write_hf_tokenizer(w, hf_dir, config.vocab_size);

  for (const auto& t : tensors) w.add_tensor(t.name, target_type(t), t.shape);
  ConvertResult result;
  for (const auto& t : tensors) {
    const DType dst = target_type(t);
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
      for (std::int64_t e = 0; e < t.shape[0]; ++e) write_encoded(w, weights->expert(t.name, e, expert_shape), dst, pool);
    } else {
      write_encoded(w, weights->get(t.name, t.shape), dst, pool);
    }
    ++result.tensors;
  }
  w.finish();
  result.file_bytes = fs::file_size(out_path);
  return result;
}

}  // namespace hearth
