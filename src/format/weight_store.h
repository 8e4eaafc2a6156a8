#pragma once
// Named weights for a model, whatever file format holds them. Names are llama.cpp's GGUF names
// ("token_embd.weight", "blk.3.attn_q.weight", "blk.0.ffn_gate_exps.weight", ...), so model code
// binds weights one way for every format.
//
// Stacked MoE expert tensors ({n_experts, rows, cols}) are what GGUF stores; Hugging Face stores
// one tensor per expert. expert() hides the difference and never copies.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor_view.h"

namespace hearth {

class WeightStore {
 public:
  virtual ~WeightStore() = default;

  // nullptr when absent.
  const TensorView* find(const std::string& name) const;
  // Throws hearth::Error "missing tensor NAME" or "tensor NAME has shape [..], expected [..]".
  const TensorView& get(const std::string& name, const std::vector<std::int64_t>& expected_shape) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }

  // Expert `e` of the stacked tensor `name`, shape {rows, cols}: a slice of the stacked tensor
  // when the file has one, otherwise the per-expert tensor registered with add_expert().
  TensorView expert(const std::string& name, std::int64_t e, const std::vector<std::int64_t>& expected_shape) const;

  // The logical tensor list (stacked expert tensors listed once, with their stacked shape).
  std::vector<std::string> names() const;
  // Per-expert parts of a logical stacked tensor (empty when the tensor is stored stacked).
  const std::vector<TensorView>* expert_parts(const std::string& name) const;

  void add(TensorView view);
  void add_expert(const std::string& stacked_name, std::int64_t e, TensorView view);

 protected:
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::vector<TensorView>> expert_parts_;  // name -> one view per expert
};

// Loads the safetensors of a Hugging Face folder (model.safetensors, or the shards listed in
// model.safetensors.index.json) and renames them to GGUF names for `arch`. Tensors that have no
// GGUF name (rotary caches etc.) are ignored. Keeps the files mapped for its lifetime.
std::unique_ptr<WeightStore> load_hf_weights(const std::string& folder, const std::string& arch);

// The GGUF name for a Hugging Face tensor name; empty when the tensor is not used.
// Per-expert tensors map to the stacked name and set *expert to the expert index (else -1).
std::string gguf_name_for_hf(const std::string& hf_name, std::int64_t* expert);

}  // namespace hearth
