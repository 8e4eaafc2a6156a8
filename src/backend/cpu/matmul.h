#pragma once
// Matrix products y = x * w^T with f32 activations and f32/f16/bf16 weights, in the canonical summation
// order of kernels.h (so each output element is independent of the batch size and of the tiling).
#include <cstdint>

#include "backend/backend.h"
#include "backend/cpu/arena.h"
#include "backend/cpu/kernels.h"
#include "util/thread_pool.h"

namespace hearth::cpu {

// Rows of w converted to f32 at a time on the batched path; scratch must hold kMatmulRowBlock * w.cols.
inline constexpr std::int64_t kMatmulRowBlock = 16;

// Single-threaded: y[i * ldy + n] = dot(x + i * ldx, row n of w) for i < m, n in [n0, n1).
void matmul_range(const Kernels& k, const float* x, std::int64_t ldx, std::int64_t m, const Weight& w, std::int64_t n0,
                  std::int64_t n1, float* y, std::int64_t ldy, float* scratch);

// The whole product over the pool: y {m, w.rows} (row stride ldy) from x {m, w.cols} (row stride ldx).
void matmul(ThreadPool& pool, ThreadScratch& scratch, const Kernels& k, const float* x, std::int64_t ldx,
            std::int64_t m, const Weight& w, float* y, std::int64_t ldy);

}  // namespace hearth::cpu
