#include "backend/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "util/error.h"

namespace hearth::cpu {

CpuKvStorage::CpuKvStorage(const KvLayout& layout) : KvStorage(layout) {
  require(layout.type == DType::F32 || layout.type == DType::F16,
          "the CPU backend keeps the KV cache in f32 or f16, not {}", dtype_name(layout.type));
  const std::size_t n = static_cast<std::size_t>(layout.n_slots * layout.kv_dim()) * element_bytes();
  for (std::int64_t l = 0; l < layout.n_layers; ++l) {
    k_.emplace_back(new std::uint8_t[n]);
    v_.emplace_back(new std::uint8_t[n]);
  }
}

std::int64_t CpuKvStorage::bytes() const {
  const KvLayout& l = layout();
  return 2 * l.n_layers * l.n_slots * l.kv_dim() * static_cast<std::int64_t>(element_bytes());
}

void paged_attention(ThreadPool& pool, ThreadScratch& scratch, const Kernels& k, const ForwardPlan& plan,
                     const Tensor& q, const Tensor& kk, const Tensor& vv, CpuKvStorage& kv, std::int64_t layer,
                     const AttentionShape& shape, Tensor& out) {
  const std::int64_t n_tokens = plan.n_tokens();
  const std::int64_t hd = shape.head_dim;
  const std::int64_t kv_dim = kv.layout().kv_dim();
  const std::int64_t group = shape.n_heads / shape.n_kv_heads;
  const std::int64_t bs = plan.kv_block_size;
  const bool f16 = kv.is_f16();
  const std::size_t row_bytes = kv.element_bytes() * static_cast<std::size_t>(kv_dim);
  std::uint8_t* kc = kv.k(layer);
  std::uint8_t* vc = kv.v(layer);

  for (std::int64_t t = 0; t < n_tokens; ++t) {
    std::uint8_t* kd = kc + static_cast<std::size_t>(plan.kv_slots[t]) * row_bytes;
    std::uint8_t* vd = vc + static_cast<std::size_t>(plan.kv_slots[t]) * row_bytes;
    if (f16) {
      k.f32_to_f16(kk.data + t * kk.cols, reinterpret_cast<std::uint16_t*>(kd), kv_dim);
      k.f32_to_f16(vv.data + t * vv.cols, reinterpret_cast<std::uint16_t*>(vd), kv_dim);
    } else {
      std::memcpy(kd, kk.data + t * kk.cols, row_bytes);
      std::memcpy(vd, vv.data + t * vv.cols, row_bytes);
    }
  }
  // One head's rows of a cache block as f32: in place for an f32 cache (stride kv_dim), else widened into
  // `buf` (stride hd). Widening is exact, so an f16 cache gives what an f32 cache holding the same rounded
  // values gives, bit for bit.
  auto head_rows = [&](const std::uint8_t* cache, std::int64_t block, std::int64_t h, std::int64_t n_rows,
                       float* buf, std::int64_t* ld) -> const float* {
    const std::size_t first = static_cast<std::size_t>(block * bs) * row_bytes;
    if (!f16) {
      *ld = kv_dim;
      return reinterpret_cast<const float*>(cache + first) + h * hd;
    }
    const auto* src = reinterpret_cast<const std::uint16_t*>(cache + first) + h * hd;
    for (std::int64_t r = 0; r < n_rows; ++r) k.f16_to_f32(src + r * kv_dim, buf + r * hd, hd);
    *ld = hd;
    return buf;
  };

  auto run = [&](std::int64_t task, int thread) {
    const std::int64_t t = task / shape.n_kv_heads;
    const std::int64_t h = task % shape.n_kv_heads;
    const std::int64_t ctx = static_cast<std::int64_t>(plan.positions[t]) + 1;
    const auto& blocks = plan.seq_blocks[static_cast<std::size_t>(plan.seq_of_token[t])];
    const float* qh = q.data + t * q.cols + h * group * hd;  // the group's query heads, contiguous
    float* scores = scratch.get(thread, group * ctx + (f16 ? bs * hd : 0));
    float* widened = scores + group * ctx;  // f16 cache: one block of one head's rows as f32

    // scores[g * ctx + j] = q_g . k_j, four consecutive positions of a block at a time.
    for (std::int64_t j0 = 0; j0 < ctx; j0 += bs) {
      const std::int64_t n_in = std::min(bs, ctx - j0);
      std::int64_t ldk = 0;
      const float* kb = head_rows(kc, blocks[static_cast<std::size_t>(j0 / bs)], h, n_in, widened, &ldk);
      for (std::int64_t g = 0; g < group; g += 2) {
        int mr = static_cast<int>(std::min<std::int64_t>(2, group - g));
        for (std::int64_t j = 0; j < n_in; j += 4) {
          int nr = static_cast<int>(std::min<std::int64_t>(4, n_in - j));
          k.dot_tile_f32(qh + g * hd, hd, mr, kb + j * ldk, ldk, nr, hd, scores + g * ctx + j0 + j, ctx);
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
      std::int64_t ldv = 0;
      const float* vb = head_rows(vc, blocks[static_cast<std::size_t>(j0 / bs)], h, n_in, widened, &ldv);
      k.weighted_rows_f32(scores + j0, ctx, static_cast<int>(group), vb, ldv, n_in, hd, o, hd);
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
