#pragma once
// Mixture-of-experts FFN on the CPU: routing, then each active expert computes all its tokens at once so
// its weights are read once per call.
#include <cstdint>

#include "backend/backend.h"
#include "backend/cpu/arena.h"
#include "backend/cpu/kernels.h"
#include "util/thread_pool.h"

namespace hearth::cpu {

// One token's routing: the chosen experts in ascending id order with their weights.
struct Route {
  std::int32_t expert;
  float weight;
};

// Softmax (f32, max-subtracted) over `n_experts` logits, the top `k` (ties: lower id first), optionally
// renormalised to sum to 1; returned in ascending expert order.
void route_token(const float* logits, std::int64_t n_experts, const MoeParams& params, Route* out);

// out {m, hidden} = MoE FFN of x {m, hidden} given router logits {m, n_experts}.
void moe_experts(ThreadPool& pool, ThreadScratch& scratch, Arena& arena, const Kernels& k, const Tensor& x,
                 const float* router_logits, const ExpertWeights& experts, const MoeParams& params, Tensor& out);

}  // namespace hearth::cpu
