#include "backend/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace hearth::cpu {

CpuKvStorage::CpuKvStorage(const KvLayout& layout) : KvStorage(layout) {
  const std::size_t n = static_cast<std::size_t>(layout.n_slots * layout.kv_dim());
  for (std::int64_t l = 0; l < layout.n_layers; ++l) {
    k_.emplace_back(new float[n]);
    v_.emplace_back(new float[n]);
  }
}

std::int64_t CpuKvStorage::bytes() const {
  const KvLayout& l = layout();
  return 2 * l.n_layers * l.n_slots * l.kv_dim() * static_cast<std::int64_t>(sizeof(float));
}

void paged_attention(ThreadPool& pool, ThreadScratch& scratch, const Kernels& k, const ForwardPlan& plan,
                     const Tensor& q, const Tensor& kk, const Tensor& vv, CpuKvStorage& kv, std::int64_t layer,
                     const AttentionShape& shape, Tensor& out) {
  const std::int64_t n_tokens = plan.n_tokens();
  const std::int64_t hd = shape.head_dim;
  const std::int64_t kv_dim = kv.layout().kv_dim();
  const std::int64_t group = shape.n_heads / shape.n_kv_heads;
  const std::int64_t bs = plan.kv_block_size;
  float* kc = kv.k(layer);
  float* vc = kv.v(layer);

  for (std::int64_t t = 0; t < n_tokens; ++t) {
    std::memcpy(kc + plan.kv_slots[t] * kv_dim, kk.data + t * kk.cols, sizeof(float) * kv_dim);
    std::memcpy(vc + plan.kv_slots[t] * kv_dim, vv.data + t * vv.cols, sizeof(float) * kv_dim);
  }

  auto run = [&](std::int64_t task, int thread) {
    const std::int64_t t = task / shape.n_kv_heads;
    const std::int64_t h = task % shape.n_kv_heads;
    const std::int64_t ctx = static_cast<std::int64_t>(plan.positions[t]) + 1;
    const auto& blocks = plan.seq_blocks[static_cast<std::size_t>(plan.seq_of_token[t])];
    const float* qh = q.data + t * q.cols + h * group * hd;  // the group's query heads, contiguous
    float* scores = scratch.get(thread, group * ctx);

    // scores[g * ctx + j] = q_g . k_j, four consecutive positions of a block at a time.
    for (std::int64_t j0 = 0; j0 < ctx; j0 += bs) {
      const std::int64_t n_in = std::min(bs, ctx - j0);
      const float* kb =
          kc + static_cast<std::int64_t>(blocks[static_cast<std::size_t>(j0 / bs)]) * bs * kv_dim + h * hd;
      for (std::int64_t g = 0; g < group; g += 2) {
        int mr = static_cast<int>(std::min<std::int64_t>(2, group - g));
        for (std::int64_t j = 0; j < n_in; j += 4) {
          int nr = static_cast<int>(std::min<std::int64_t>(4, n_in - j));
          k.dot_tile_f32(qh + g * hd, hd, mr, kb + j * kv_dim, kv_dim, nr, hd, scores + g * ctx + j0 + j, ctx);
        }
      }
    }
    for (std::int64_t g = 0; g < group; ++g) {
      float* s = scores + g * ctx;
      float mx = -std::numeric_limits<float>::infinity();
      for (std::int64_t j = 0; j < ctx; ++j) {
        s[j] *= shape.scale;
        mx = std::max(mx, s[j]);
      }
      float sum = 0.0f;
      for (std::int64_t j = 0; j < ctx; ++j) {
        s[j] = std::exp(s[j] - mx);
        sum += s[j];
      }
      const float inv = 1.0f / sum;
      for (std::int64_t j = 0; j < ctx; ++j) s[j] *= inv;
    }
    // out_g = sum_j p_gj v_j for the group's query heads at once, block by block of the cache.
    float* o = out.data + t * out.cols + h * group * hd;
    std::fill(o, o + group * hd, 0.0f);
    for (std::int64_t j0 = 0; j0 < ctx; j0 += bs) {
      const int n_in = static_cast<int>(std::min(bs, ctx - j0));
      const float* vb =
          vc + static_cast<std::int64_t>(blocks[static_cast<std::size_t>(j0 / bs)]) * bs * kv_dim + h * hd;
      k.weighted_rows_f32(scores + j0, ctx, static_cast<int>(group), vb, kv_dim, n_in, hd, o, hd);
    }
  };
  const std::int64_t n_tasks = n_tokens * shape.n_kv_heads;
  // Short contexts (decode of a tiny model) are cheaper inline than waking the workers.
  double work = 0;
  for (std::int64_t t = 0; t < n_tokens; ++t) work += static_cast<double>(plan.positions[t] + 1);
  work *= static_cast<double>(shape.n_heads * hd);
  if (work < 32768.0) {
    for (std::int64_t task = 0; task < n_tasks; ++task) run(task, 0);
  } else {
    pool.parallel_for(n_tasks, run);
  }
}

}  // namespace hearth::cpu
