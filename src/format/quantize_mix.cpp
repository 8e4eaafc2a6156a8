#include "format/quantize_mix.h"

#include <array>
#include <cctype>
#include <charconv>

namespace hearth {
namespace {

constexpr std::array<QuantMix, 9> kMixes{{
    {QuantMixKind::kF32, "f32", DType::F32, 0},
    {QuantMixKind::kF16, "f16", DType::F16, 1},
    {QuantMixKind::kBF16, "bf16", DType::BF16, 32},
    {QuantMixKind::kQ8_0, "q8_0", DType::Q8_0, 7},
    {QuantMixKind::kQ4_0, "q4_0", DType::Q4_0, 2},
    {QuantMixKind::kQ4_K_S, "q4_k_s", DType::Q4_K, 14},
    {QuantMixKind::kQ4_K_M, "q4_k_m", DType::Q4_K, 15},
    {QuantMixKind::kQ5_K_M, "q5_k_m", DType::Q5_K, 17},
    {QuantMixKind::kQ6_K, "q6_k", DType::Q6_K, 18},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// The layers that get more bits in the _M mixtures: first and last eighth, and every third in between.
bool use_more_bits(std::int64_t layer, std::int64_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace

std::optional<QuantMix> find_quant_mix(std::string_view name) {
  for (const QuantMix& m : kMixes)
    if (iequals(m.name, name)) return m;
  return std::nullopt;
}

std::string quant_mix_names() {
  std::string out;
  for (const QuantMix& m : kMixes) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

DType storable_type(DType wanted, std::int64_t row_length) {
  const std::int64_t block = dtype_info(wanted).block_size;
  if (row_length % block == 0) return wanted;
  if (row_length % 32 == 0) return DType::Q8_0;
  return DType::F16;
}

std::int64_t layer_of(std::string_view name) {
  if (!name.starts_with("blk.")) return -1;
  name.remove_prefix(4);
  std::int64_t layer = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.') return -1;
  return layer;
}

TensorTypePlan::TensorTypePlan(const QuantMix& mix, std::int64_t n_layers, bool has_output)
    : mix_(mix), n_layers_(n_layers), has_output_(has_output) {}

DType TensorTypePlan::type_for(const std::string& name, const std::vector<std::int64_t>& shape) const {
  if (shape.size() <= 1 || name.ends_with(".ffn_gate_inp.weight")) return DType::F32;
  DType type = mix_.base;
  if (mix_.quantized()) {
    const bool is_output = name == "output.weight" || (!has_output_ && name == "token_embd.weight");
    const std::int64_t layer = layer_of(name);
    const bool m_mix = mix_.kind == QuantMixKind::kQ4_K_M || mix_.kind == QuantMixKind::kQ5_K_M;
    const bool attn_v = contains(name, ".attn_v.");
    const bool ffn_down = contains(name, ".ffn_down");  // ffn_down and ffn_down_exps
    if (is_output) {
      type = mix_.kind == QuantMixKind::kQ8_0 ? DType::Q8_0 : DType::Q6_K;
    } else if (layer >= 0 && (attn_v || ffn_down)) {
      if (m_mix && use_more_bits(layer, n_layers_)) type = DType::Q6_K;
      if (mix_.kind == QuantMixKind::kQ4_K_S && ((attn_v && layer < 4) || (ffn_down && layer < n_layers_ / 8)))
        type = DType::Q5_K;
    }
  }
  return storable_type(type, shape.back());
}

}  // namespace hearth
