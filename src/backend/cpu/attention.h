#pragma once
// Causal attention over a paged KV cache (see ForwardPlan in backend.h for the slot arithmetic).
#include <cstdint>

#include "backend/backend.h"
#include "backend/cpu/arena.h"
#include "backend/cpu/kernels.h"
#include "util/thread_pool.h"

namespace hearth::cpu {

// K and V of every layer: [n_slots, kv_heads * head_dim] each, f32 or f16 (layout.type).
class CpuKvStorage final : public KvStorage {
 public:
  // Throws hearth::Error for an element type other than F32 and F16.
  explicit CpuKvStorage(const KvLayout& layout);
  std::int64_t bytes() const override;
  bool is_f16() const { return layout().type == DType::F16; }
  std::size_t element_bytes() const { return is_f16() ? 2 : 4; }
  std::uint8_t* k(std::int64_t layer) { return k_[static_cast<std::size_t>(layer)].get(); }
  std::uint8_t* v(std::int64_t layer) { return v_[static_cast<std::size_t>(layer)].get(); }

 private:
  // Left uninitialised: pages are touched (and become resident) only as slots fill.
  std::vector<std::unique_ptr<std::uint8_t[]>> k_, v_;
};

// Stores k/v rows at plan.kv_slots, then out = softmax(q k^T * scale) v per token and head, each token
// attending to positions 0..positions[t] of its own sequence. out: {n_tokens, n_heads * head_dim}.
void paged_attention(ThreadPool& pool, ThreadScratch& scratch, const Kernels& k, const ForwardPlan& plan,
                     const Tensor& q, const Tensor& kk, const Tensor& vv, CpuKvStorage& kv, std::int64_t layer,
                     const AttentionShape& shape, Tensor& out);

}  // namespace hearth::cpu
