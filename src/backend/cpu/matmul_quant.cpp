#include "backend/cpu/matmul_quant.h"

#include <algorithm>
#include <cassert>

namespace hearth::cpu {
namespace {

// Below this many bytes of weights x tokens a product runs on the calling thread: waking the pool costs more.
constexpr double kSerialWorkBytes = 48.0 * 1024;
// A task should stream at least this many weight bytes (per token pass) so prefetching stays effective.
constexpr std::size_t kMinTaskBytes = 24 * 1024;
// Tokens per task when a large batch is split along the tokens too (keeps each task's activations in L2).
constexpr std::int64_t kTokenBlock = 128;

}  // namespace

bool is_quantized_weight(DType type) {
  switch (type) {
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
      return true;
    default:
      return false;
  }
}

std::size_t quantized_row_bytes(DType weight_type, std::int64_t k) {
  return static_cast<std::size_t>(row_bytes(quant::traits(weight_type).vec_dot_type, k));
}

QuantizedRows quantize_activations(ThreadPool& pool, Arena& arena, DType weight_type, const float* x, std::int64_t ldx,
                                   std::int64_t m, std::int64_t k) {
  const quant::TypeTraits& tt = quant::traits(weight_type);
  QuantizedRows q;
  q.stride = static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k));
  q.rows = m;
  auto* buf = reinterpret_cast<std::uint8_t*>(arena.alloc_floats(static_cast<std::int64_t>((m * q.stride + 3) / 4)));
  q.data = buf;
  auto run = [&](std::int64_t t0, std::int64_t t1, int) {
    for (std::int64_t t = t0; t < t1; ++t) tt.from_float(x + t * ldx, buf + t * q.stride, k);
  };
  if (m * k < 65536 || pool.size() == 1)
    run(0, m, 0);
  else
    pool.parallel_range(m, 1, run);
  return q;
}

void quant_gemm_range(const quant::TypeTraits& tt, const Weight& w, std::int64_t r0, std::int64_t r1,
                      const QuantizedRows& xq, float* y, std::int64_t ldy) {
  if (r0 >= r1 || xq.rows <= 0) return;
  const std::size_t ws = static_cast<std::size_t>(row_bytes(w.dtype, w.cols));
  const auto* wp = static_cast<const std::uint8_t*>(w.data) + static_cast<std::size_t>(r0) * ws;
  tt.gemm(w.cols, r1 - r0, xq.rows, wp, ws, xq.data, xq.stride, y + r0, static_cast<std::size_t>(ldy));
}

std::int64_t rows_per_task(std::int64_t n_rows, std::size_t row_bytes, std::int64_t m, int threads) {
  const std::int64_t want_tasks = static_cast<std::int64_t>(threads) * 8;
  std::int64_t rows = (n_rows + want_tasks - 1) / want_tasks;
  const std::int64_t min_rows = static_cast<std::int64_t>(kMinTaskBytes / std::max<std::size_t>(row_bytes, 1)) /
                                std::max<std::int64_t>(1, std::min<std::int64_t>(m, 8));
  rows = std::max(rows, min_rows);
  rows = (rows + 7) / 8 * 8;
  return std::max<std::int64_t>(rows, 8);
}

void matmul_quantized(ThreadPool& pool, Arena& arena, const float* x, std::int64_t ldx, std::int64_t m, const Weight& w,
                      float* y, std::int64_t ldy) {
  assert(is_quantized_weight(w.dtype));
  if (m <= 0 || w.rows <= 0) return;
  const quant::TypeTraits& tt = quant::traits(w.dtype);
  const QuantizedRows xq = quantize_activations(pool, arena, w.dtype, x, ldx, m, w.cols);
  const std::size_t wrow = static_cast<std::size_t>(row_bytes(w.dtype, w.cols));
  const double work = static_cast<double>(wrow) * static_cast<double>(w.rows) * static_cast<double>(m);
  if (work < kSerialWorkBytes || pool.size() == 1) {
    quant_gemm_range(tt, w, 0, w.rows, xq, y, ldy);
    return;
  }
  const std::int64_t rpt = rows_per_task(w.rows, wrow, m, pool.size());
  const std::int64_t row_tasks = (w.rows + rpt - 1) / rpt;
  // Few weight rows but many tokens (e.g. K/V projections of a long prompt): split the tokens as well.
  std::int64_t token_tasks = 1;
  if (row_tasks < 4 * pool.size() && m > kTokenBlock) token_tasks = (m + kTokenBlock - 1) / kTokenBlock;
  const std::int64_t tokens_per_task = (m + token_tasks - 1) / token_tasks;
  pool.parallel_for(row_tasks * token_tasks, [&](std::int64_t task, int) {
    const std::int64_t rt = task % row_tasks, tk = task / row_tasks;
    const std::int64_t r0 = rt * rpt, r1 = std::min(w.rows, r0 + rpt);
    const std::int64_t t0 = tk * tokens_per_task, t1 = std::min(m, t0 + tokens_per_task);
    if (t0 >= t1) return;
    QuantizedRows part{xq.data + static_cast<std::size_t>(t0) * xq.stride, xq.stride, t1 - t0};
    quant_gemm_range(tt, w, r0, r1, part, y + t0 * ldy, ldy);
  });
}

}  // namespace hearth::cpu
