#include "store/model_info.h"

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "format/gguf_reader.h"
#include "format/model_files.h"
#include "format/safetensors.h"
#include "store/fs_util.h"
#include "tensor/dtype.h"
#include "util/ascii.h"
#include "util/error.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

// Counts parameters from tensor shapes; expert tensors are those whose names mark them
// ("_exps" in GGUF, ".experts." in Hugging Face).
struct Counter {
  std::uint64_t total = 0, experts = 0;
  std::map<std::string, std::uint64_t> bytes_by_type;
  void add(const TensorView& t) {
    auto n = static_cast<std::uint64_t>(t.numel());
    total += n;
    if (t.name.find("_exps") != std::string::npos || t.name.find(".experts.") != std::string::npos) experts += n;
    bytes_by_type[std::string(dtype_name(t.dtype))] += static_cast<std::uint64_t>(t.nbytes);
  }
  std::string dominant_type() const {
    std::string best;
    std::uint64_t most = 0;
    for (const auto& [name, bytes] : bytes_by_type)
      if (bytes > most) {
        most = bytes;
        best = name;
      }
    return ascii_lower(best);
  }
};

void finish_counts(ModelInfo& info, const Counter& c) {
  info.parameters = c.total;
  info.active_parameters = c.total;
  if (info.moe && info.n_experts > 0 && info.n_experts_used > 0 && c.experts > 0) {
    // Each token uses n_used of n_experts experts in every MoE layer.
    long double unused = static_cast<long double>(c.experts) *
                         static_cast<long double>(info.n_experts - info.n_experts_used) /
                         static_cast<long double>(info.n_experts);
    info.active_parameters = c.total - static_cast<std::uint64_t>(unused + 0.5L);
  }
}

std::vector<std::string> safetensors_files(const fs::path& dir) {
  std::vector<std::string> files;
  fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    auto j = nlohmann::json::parse(read_small_file(index), nullptr, false);
    require(!j.is_discarded() && j.contains("weight_map") && j["weight_map"].is_object(),
            "{}: invalid safetensors index", index.string());
    std::set<std::string> unique;
    for (const auto& [name, file] : j["weight_map"].items())
      if (file.is_string()) unique.insert(file.get<std::string>());
    for (const auto& f : unique) files.push_back((dir / safe_relative_path(f)).string());
  } else if (fs::exists(dir / "model.safetensors")) {
    files.push_back((dir / "model.safetensors").string());
  }
  require(!files.empty(), "{}: no model.safetensors (or index)", dir.string());
  return files;
}

std::string read_license_file(const fs::path& dir) {
  for (const char* name : {"LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING"}) {
    fs::path p = dir / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && fs::file_size(p, ec) < (1 << 20)) return read_small_file(p);
  }
  return {};
}

void inspect_gguf_directly(ModelInfo& info, const GgufFile& g) {
  info.architecture = g.get_string_or("general.architecture", "");
  const std::string& a = info.architecture;
  info.context_length = g.get_int_or(a + ".context_length", 0);
  info.n_experts = g.get_int_or(a + ".expert_count", 0);
  info.n_experts_used = g.get_int_or(a + ".expert_used_count", 0);
  info.moe = info.n_experts > 0;
  info.chat_template = g.get_string_or("tokenizer.chat_template", "");
}

}  // namespace

bool is_gguf_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  return in.gcount() == 4 && std::string_view(magic, 4) == "GGUF";
}

std::string gguf_file_type_name(std::int64_t t) {
  static const std::map<std::int64_t, const char*> names = {
      {0, "f32"},     {1, "f16"},     {2, "q4_0"},     {3, "q4_1"},    {7, "q8_0"},     {8, "q5_0"},
      {9, "q5_1"},    {10, "q2_k"},   {11, "q3_k_s"},  {12, "q3_k_m"}, {13, "q3_k_l"},  {14, "q4_k_s"},
      {15, "q4_k_m"}, {16, "q5_k_s"}, {17, "q5_k_m"},  {18, "q6_k"},   {19, "iq2_xxs"}, {20, "iq2_xs"},
      {21, "q2_k_s"}, {22, "iq3_xs"}, {23, "iq3_xxs"}, {24, "iq1_s"},  {25, "iq4_nl"},  {26, "iq3_s"},
      {27, "iq3_m"},  {28, "iq2_s"},  {29, "iq2_m"},   {30, "iq4_xs"}, {31, "iq1_m"},   {32, "bf16"},
  };
  auto it = names.find(t);
  return it == names.end() ? std::string() : it->second;
}

std::string normalize_quantization(std::string_view name) {
  std::string s = ascii_lower(name);
  if (s == "fp16" || s == "float16" || s == "half") return "f16";
  if (s == "fp32" || s == "float32" || s == "float") return "f32";
  if (s == "bfloat16") return "bf16";
  return s;
}

ModelInfo inspect_model(const fs::path& path) {
  ModelInfo info;
  try {
    std::error_code ec;
    require(fs::exists(path, ec), "no such file or folder");
    bool folder = fs::is_directory(path, ec);
    info.format = folder ? "safetensors" : "gguf";
    if (!folder) require(is_gguf_file(path), "not a GGUF file (no GGUF magic)");
    Counter counter;
    if (folder) {
      ModelFiles m = open_model_files(path.string(), /*load_weights=*/false);
      info.architecture = m.config.arch;
      info.moe = m.config.is_moe();
      info.n_experts = m.config.n_experts;
      info.n_experts_used = m.config.n_experts_used;
      info.context_length = m.config.context_length;
      info.chat_template = m.chat_template;
      info.license = read_license_file(path);
      for (const auto& f : safetensors_files(path)) {
        SafetensorsFile st(f);
        for (const auto& [name, t] : st.tensors()) counter.add(t);
      }
      info.quantization = counter.dominant_type();
    } else {
      auto g = std::make_shared<GgufFile>(path.string());
      try {
        ModelFiles m = open_model_files(path.string(), /*load_weights=*/false);
        info.architecture = m.config.arch;
        info.moe = m.config.is_moe();
        info.n_experts = m.config.n_experts;
        info.n_experts_used = m.config.n_experts_used;
        info.context_length = m.config.context_length;
        info.chat_template = m.chat_template;
      } catch (const Error&) {
        // Architectures Hearth cannot run yet still have readable metadata.
        inspect_gguf_directly(info, *g);
      }
      info.license = g->get_string_or("general.license", "");
      for (const auto& t : g->tensors()) counter.add(t);
      info.quantization = gguf_file_type_name(g->get_int_or("general.file_type", -1));
      if (info.quantization.empty()) info.quantization = counter.dominant_type();
    }
    finish_counts(info, counter);
  } catch (const Error& e) {
    // The loaders already name the path in their messages; add it only when missing.
    if (std::string_view(e.what()).find(path.string()) != std::string_view::npos) throw;
    rethrow_with_context(path.string());
  } catch (...) {
    rethrow_with_context(path.string());
  }
  return info;
}

Annotations model_annotations(const ModelInfo& info) {
  Annotations a;
  if (!info.architecture.empty()) a[std::string(annotation::kArchitecture)] = info.architecture;
  a[std::string(annotation::kKind)] = info.moe ? "moe" : "dense";
  if (info.parameters) a[std::string(annotation::kParameters)] = std::to_string(info.parameters);
  if (info.active_parameters) a[std::string(annotation::kActiveParameters)] = std::to_string(info.active_parameters);
  if (!info.quantization.empty()) a[std::string(annotation::kQuantization)] = info.quantization;
  if (info.context_length > 0) a[std::string(annotation::kContextLength)] = std::to_string(info.context_length);
  if (!info.format.empty()) a[std::string(annotation::kFormat)] = info.format;
  return a;
}

bool has_model_annotations(const Annotations& a) {
  return a.count(std::string(annotation::kArchitecture)) && a.count(std::string(annotation::kParameters));
}

}  // namespace hearth::store
