#pragma once
// Matrix products with quantized weights (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) through the kernels of quant/quant.h.
//
// Activations are quantized once per product to the weight type's vec_dot_type (Q8_0 or Q8_K), one row at a
// time, so a token's quantized row, and therefore its result, does not depend on the rest of the batch; the
// quant GEMM computes every output exactly as vec_dot would (quant.h), whatever the tile that covers it.
// Work is split over weight rows (and, for large batches, token blocks) on the pool; the calling thread takes
// part, so the pool's size is the number of busy cores. No allocation beyond the arena.
#include <cstddef>
#include <cstdint>

#include "backend/backend.h"
#include "backend/cpu/arena.h"
#include "quant/quant.h"
#include "util/thread_pool.h"

namespace hearth::cpu {

// True for the weight types the quantized path computes with.
bool is_quantized_weight(DType type);

// Activation rows quantized for one weight type: row t at data + t * stride.
struct QuantizedRows {
  const std::uint8_t* data = nullptr;
  std::size_t stride = 0;
  std::int64_t rows = 0;
};

// Bytes one quantized activation row of k values takes for weights of `type`.
std::size_t quantized_row_bytes(DType weight_type, std::int64_t k);

// Quantizes m rows of x (row stride ldx floats, k values each) to `weight_type`'s vec_dot_type in arena
// memory, on the pool when there are many rows.
QuantizedRows quantize_activations(ThreadPool& pool, Arena& arena, DType weight_type, const float* x, std::int64_t ldx,
                                   std::int64_t m, std::int64_t k);

// Single-threaded: y[t * ldy + r] = dot(row r of w, activation row t) for t < xq.rows, r in [r0, r1).
void quant_gemm_range(const quant::TypeTraits& tt, const Weight& w, std::int64_t r0, std::int64_t r1,
                      const QuantizedRows& xq, float* y, std::int64_t ldy);

// y {m, w.rows} (row stride ldy) = x {m, w.cols} (row stride ldx) * w^T, on the pool.
void matmul_quantized(ThreadPool& pool, Arena& arena, const float* x, std::int64_t ldx, std::int64_t m, const Weight& w,
                      float* y, std::int64_t ldy);

// Weight rows per parallel task so that a product of `n_rows` rows of `row_bytes` each against `m` tokens
// gives every thread several tasks (load balance) while each task streams a useful amount of memory; a
// multiple of 8 (every kernel's row tile divides it).
std::int64_t rows_per_task(std::int64_t n_rows, std::size_t row_bytes, std::int64_t m, int threads);

}  // namespace hearth::cpu
