#include "backend/cpu/matmul.h"

#include <algorithm>
#include <cassert>

#include "util/error.h"

namespace hearth::cpu {
namespace {

constexpr std::int64_t kFusedMaxRows = 3;  // at most this many x rows: convert 16-bit weights in registers
constexpr std::int64_t kTaskRows = 64;     // x rows per task when splitting along m

// y rows [0, m) x columns [n0, n1) with f32 weight rows w (row stride ldw).
void tile_block(const Kernels& k, const float* x, std::int64_t ldx, std::int64_t m, const float* w, std::int64_t ldw,
                std::int64_t n0, std::int64_t n1, std::int64_t kdim, float* y, std::int64_t ldy) {
  for (std::int64_t i = 0; i < m; i += 2) {
    int mr = static_cast<int>(std::min<std::int64_t>(2, m - i));
    for (std::int64_t n = n0; n < n1; n += 4) {
      int nr = static_cast<int>(std::min<std::int64_t>(4, n1 - n));
      k.dot_tile_f32(x + i * ldx, ldx, mr, w + (n - n0) * ldw, ldw, nr, kdim, y + i * ldy + n, ldy);
    }
  }
}

}  // namespace

void matmul_range(const Kernels& k, const float* x, std::int64_t ldx, std::int64_t m, const Weight& w, std::int64_t n0,
                  std::int64_t n1, float* y, std::int64_t ldy, float* scratch) {
  const std::int64_t kdim = w.cols;
  if (m <= 0 || n0 >= n1) return;
  if (w.dtype == DType::F32) {
    const float* wf = static_cast<const float*>(w.data);
    for (std::int64_t nb = n0; nb < n1; nb += kMatmulRowBlock) {
      std::int64_t ne = std::min(n1, nb + kMatmulRowBlock);
      tile_block(k, x, ldx, m, wf + nb * kdim, kdim, nb, ne, kdim, y, ldy);
    }
    return;
  }
  const auto* w16 = static_cast<const std::uint16_t*>(w.data);
  const bool bf16 = w.dtype == DType::BF16;
  if (m <= kFusedMaxRows) {
    auto dot_rows = bf16 ? k.dot_rows_bf16 : k.dot_rows_f16;
    for (std::int64_t n = n0; n < n1; n += 4) {
      int nr = static_cast<int>(std::min<std::int64_t>(4, n1 - n));
      for (std::int64_t i = 0; i < m; ++i) dot_rows(x + i * ldx, w16 + n * kdim, kdim, nr, kdim, y + i * ldy + n);
    }
    return;
  }
  auto convert = bf16 ? k.bf16_to_f32 : k.f16_to_f32;
  for (std::int64_t nb = n0; nb < n1; nb += kMatmulRowBlock) {
    std::int64_t ne = std::min(n1, nb + kMatmulRowBlock);
    convert(w16 + nb * kdim, scratch, (ne - nb) * kdim);
    tile_block(k, x, ldx, m, scratch, kdim, nb, ne, kdim, y, ldy);
  }
}

void matmul(ThreadPool& pool, ThreadScratch& scratch, const Kernels& k, const float* x, std::int64_t ldx,
            std::int64_t m, const Weight& w, float* y, std::int64_t ldy) {
  assert(w.dtype == DType::F32 || w.dtype == DType::F16 || w.dtype == DType::BF16);
  const std::int64_t n = w.rows;
  const std::int64_t kdim = w.cols;
  if (m <= 0 || n <= 0) return;
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(kdim);
  const std::int64_t threads = pool.size();
  // Tasks: enough for load balance, each worth at least ~64K multiply-adds.
  std::int64_t want =
      std::max<std::int64_t>(1, std::min<std::int64_t>(threads * 8, static_cast<std::int64_t>(work / 65536)));
  std::int64_t n_blocks = (n + kMatmulRowBlock - 1) / kMatmulRowBlock;
  std::int64_t m_tasks = 1;
  if (n_blocks < want && m > kTaskRows)
    m_tasks = std::min((m + kTaskRows - 1) / kTaskRows, (want + n_blocks - 1) / n_blocks);
  std::int64_t n_tasks = std::min(n_blocks, (want + m_tasks - 1) / m_tasks);
  std::int64_t blocks_per_task = (n_blocks + n_tasks - 1) / n_tasks;
  n_tasks = (n_blocks + blocks_per_task - 1) / blocks_per_task;
  std::int64_t rows_per_m_task = (m + m_tasks - 1) / m_tasks;
  rows_per_m_task += rows_per_m_task % 2;  // keep x-row pairs together
  m_tasks = (m + rows_per_m_task - 1) / rows_per_m_task;

  auto run = [&](std::int64_t task, int thread) {
    std::int64_t mt = task / n_tasks, nt = task % n_tasks;
    std::int64_t m0 = mt * rows_per_m_task, m1 = std::min(m, m0 + rows_per_m_task);
    std::int64_t n0 = nt * blocks_per_task * kMatmulRowBlock, n1 = std::min(n, n0 + blocks_per_task * kMatmulRowBlock);
    float* buf = w.dtype == DType::F32 ? nullptr : scratch.get(thread, kMatmulRowBlock * kdim);
    matmul_range(k, x + m0 * ldx, ldx, m1 - m0, w, n0, n1, y + m0 * ldy, ldy, buf);
  };
  pool.parallel_for(m_tasks * n_tasks, run);
}

}  // namespace hearth::cpu
