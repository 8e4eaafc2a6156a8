#include "format/weight_store.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "format/safetensors.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {

const TensorView* WeightStore::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const TensorView& WeightStore::get(const std::string& name, const std::vector<std::int64_t>& expected_shape) const {
  const TensorView* t = find(name);
  require(t != nullptr, "missing tensor {}", name);
  if (t->shape != expected_shape) {
    TensorView want;
    want.shape = expected_shape;
    fail("tensor {} has shape {}, expected {}", name, t->shape_string(), want.shape_string());
  }
  return *t;
}

TensorView WeightStore::expert(const std::string& name, std::int64_t e,
                               const std::vector<std::int64_t>& expected_shape) const {
  TensorView view;
  if (auto it = expert_parts_.find(name); it != expert_parts_.end()) {
    require(e >= 0 && e < static_cast<std::int64_t>(it->second.size()) && it->second[e].data != nullptr,
            "missing tensor {} (expert {})", name, e);
    view = it->second[e];
  } else {
    const TensorView* stacked = find(name);
    require(stacked != nullptr, "missing tensor {}", name);
    require(stacked->rank() == 3, "tensor {} has shape {}, expected a stacked 3-D expert tensor", name,
            stacked->shape_string());
    require(e < stacked->dim(0), "tensor {} holds {} experts, expert {} requested", name, stacked->dim(0), e);
    view = stacked->slice(e);
  }
  if (view.shape != expected_shape) {
    TensorView want;
    want.shape = expected_shape;
    fail("tensor {} (expert {}) has shape {}, expected {}", name, e, view.shape_string(), want.shape_string());
  }
  return view;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  for (const auto& [name, view] : tensors_) out.push_back(name);
  for (const auto& [name, parts] : expert_parts_) out.push_back(name);
  return out;
}

const std::vector<TensorView>* WeightStore::expert_parts(const std::string& name) const {
  auto it = expert_parts_.find(name);
  return it == expert_parts_.end() ? nullptr : &it->second;
}

void WeightStore::add(TensorView view) {
  std::string name = view.name;
  require(tensors_.emplace(name, std::move(view)).second, "duplicate tensor {}", name);
}

void WeightStore::add_expert(const std::string& stacked_name, std::int64_t e, TensorView view) {
  auto& parts = expert_parts_[stacked_name];
  if (static_cast<std::int64_t>(parts.size()) <= e) parts.resize(static_cast<std::size_t>(e + 1));
  require(parts[e].data == nullptr, "duplicate tensor {} expert {}", stacked_name, e);
  parts[e] = std::move(view);
}

std::string gguf_name_for_hf(const std::string& hf, std::int64_t* expert) {
  if (expert) *expert = -1;
  static const std::map<std::string, std::string> kGlobal = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
  };
  if (auto it = kGlobal.find(hf); it != kGlobal.end()) return it->second;
  static const std::map<std::string, std::string> kLayer = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"},
      {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
      {"mlp.gate.weight", "ffn_gate_inp.weight"},
  };
  static const std::regex kLayerRe(R"(model\.layers\.(\d+)\.(.+))");
  static const std::regex kExpertRe(R"(mlp\.experts\.(\d+)\.(gate|up|down)_proj\.weight)");
  std::smatch m;
  if (!std::regex_match(hf, m, kLayerRe)) return {};
  std::string layer = m[1].str();
  std::string rest = m[2].str();
  if (auto it = kLayer.find(rest); it != kLayer.end()) return "blk." + layer + "." + it->second;
  std::smatch em;
  if (std::regex_match(rest, em, kExpertRe)) {
    if (expert) *expert = std::stoll(em[1].str());
    return "blk." + layer + ".ffn_" + em[2].str() + "_exps.weight";
  }
  return {};
}

namespace {

class HfWeightStore : public WeightStore {
 public:
  HfWeightStore(const std::string& folder, const std::string& arch) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    fs::path index = fs::path(folder) / "model.safetensors.index.json";
    fs::path single = fs::path(folder) / "model.safetensors";
    if (fs::exists(index)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(read_file(index.string()));
      } catch (const nlohmann::json::exception& e) {
        fail("{}: not valid JSON: {}", index.string(), e.what());
      }
      require(j.contains("weight_map") && j["weight_map"].is_object(), "{}: missing weight_map", index.string());
      std::set<std::string> shards;
      for (const auto& [name, shard] : j["weight_map"].items()) {
        require(shard.is_string(), "{}: weight_map entry {} is not a file name", index.string(), name);
        std::string s = shard.get<std::string>();
        require(s.find('/') == std::string::npos && s != "..", "{}: shard name {} must be a plain file name",
                index.string(), s);
        shards.insert(s);
      }
      for (const auto& s : shards) files.push_back((fs::path(folder) / s).string());
    } else if (fs::exists(single)) {
      files.push_back(single.string());
    } else {
      fail("{}: no model.safetensors or model.safetensors.index.json", folder);
    }
    for (const auto& f : files) {
      auto file = std::make_unique<SafetensorsFile>(f);
      for (const auto& [hf_name, view] : file->tensors()) {
        std::int64_t e = -1;
        std::string name = gguf_name_for_hf(hf_name, &e);
        if (name.empty()) continue;
        TensorView renamed = view;
        renamed.name = name;
        if (e >= 0)
          add_expert(name, e, std::move(renamed));
        else
          add(std::move(renamed));
      }
      files_.push_back(std::move(file));
    }
    (void)arch;
  }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
};

}  // namespace

std::unique_ptr<WeightStore> load_hf_weights(const std::string& folder, const std::string& arch) {
  return std::make_unique<HfWeightStore>(folder, arch);
}

}  // namespace hearth
