#include "backend/cpu/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/matmul_quant.h"
#include "util/error.h"

namespace hearth::cpu {
namespace {
constexpr std::int64_t kExpertTaskRows = 32;  // weight rows per task (a multiple of kMatmulRowBlock)
}  // namespace

void route_token(const float* logits, std::int64_t n_experts, const MoeParams& params, Route* out) {
  // Reused between calls (thread_local: route_token may run on any thread): decoding allocates nothing here.
  thread_local std::vector<float> probs;
  thread_local std::vector<std::int32_t> ids;
  probs.resize(static_cast<std::size_t>(n_experts));
  ids.resize(static_cast<std::size_t>(n_experts));
  float mx = *std::max_element(logits, logits + n_experts);
  float sum = 0.0f;
  for (std::int64_t e = 0; e < n_experts; ++e) {
    probs[e] = std::exp(logits[e] - mx);
    sum += probs[e];
  }
  for (auto& p : probs) p /= sum;
  std::iota(ids.begin(), ids.end(), 0);
  const std::int64_t kk = params.n_experts_used;
  std::partial_sort(ids.begin(), ids.begin() + kk, ids.end(), [&](std::int32_t a, std::int32_t b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  });
  std::sort(ids.begin(), ids.begin() + kk);
  float top_sum = 0.0f;
  for (std::int64_t i = 0; i < kk; ++i) top_sum += probs[ids[i]];
  for (std::int64_t i = 0; i < kk; ++i) {
    float w = probs[ids[i]];
    out[i] = {ids[i], params.normalize_top_k ? w / top_sum : w};
  }
}

namespace {

// Routing of a batch, with the (token, k) pairs grouped by expert: expert e owns packed rows
// [offset[e], offset[e + 1]), in token order.
struct Grouping {
  std::vector<Route> routes;               // [token * top_k + i]
  std::vector<std::int64_t> offset;        // n_experts + 1
  std::vector<std::int64_t> packed_token;  // packed row -> token
  std::vector<std::int64_t> row_of_route;  // (token, k) -> packed row
};

Grouping group_by_expert(const float* router_logits, std::int64_t m, std::int64_t n_experts, const MoeParams& params) {
  const std::int64_t top_k = params.n_experts_used;
  Grouping g;
  g.routes.resize(static_cast<std::size_t>(m * top_k));
  for (std::int64_t t = 0; t < m; ++t)
    route_token(router_logits + t * n_experts, n_experts, params, &g.routes[t * top_k]);
  g.offset.assign(static_cast<std::size_t>(n_experts + 1), 0);
  for (const Route& r : g.routes) ++g.offset[r.expert + 1];
  for (std::int64_t e = 0; e < n_experts; ++e) g.offset[e + 1] += g.offset[e];
  std::vector<std::int64_t> fill(g.offset.begin(), g.offset.end() - 1);
  g.packed_token.resize(g.routes.size());
  g.row_of_route.resize(g.routes.size());
  for (std::int64_t t = 0; t < m; ++t)
    for (std::int64_t i = 0; i < top_k; ++i) {
      std::int64_t row = fill[g.routes[t * top_k + i].expert]++;
      g.packed_token[row] = t;
      g.row_of_route[t * top_k + i] = row;
    }
  return g;
}

// Tasks = (active expert, block of weight rows): every expert's block is read once for all its tokens.
struct Task {
  std::int64_t expert, n0, n1;
};

std::vector<Task> expert_tasks(const Grouping& g, std::int64_t n_rows, std::int64_t rows_per_task) {
  std::vector<Task> tasks;
  const std::int64_t n_experts = static_cast<std::int64_t>(g.offset.size()) - 1;
  for (std::int64_t e = 0; e < n_experts; ++e)
    if (g.offset[e + 1] > g.offset[e])
      for (std::int64_t n0 = 0; n0 < n_rows; n0 += rows_per_task)
        tasks.push_back({e, n0, std::min(n_rows, n0 + rows_per_task)});
  return tasks;
}

template <typename Body>
void run_tasks(ThreadPool& pool, const std::vector<Task>& tasks, double work, const Body& body) {
  if (work < 65536.0 || pool.size() == 1 || tasks.size() == 1) {
    for (const Task& t : tasks) body(t, 0);
  } else {
    pool.parallel_for(static_cast<std::int64_t>(tasks.size()),
                      [&](std::int64_t i, int thread) { body(tasks[static_cast<std::size_t>(i)], thread); });
  }
}

// out[t] = sum over k (ascending expert order, as the reference adds them) of weight_k * ys[row of (t, k)].
void combine(ThreadPool& pool, const Kernels& k, const Grouping& g, std::int64_t top_k, const float* ys,
             std::int64_t hidden, Tensor& out) {
  auto run = [&](std::int64_t t0, std::int64_t t1, int) {
    for (std::int64_t t = t0; t < t1; ++t) {
      float* o = out.data + t * hidden;
      std::fill(o, o + hidden, 0.0f);
      for (std::int64_t i = 0; i < top_k; ++i)
        k.axpy_f32(g.routes[t * top_k + i].weight, ys + g.row_of_route[t * top_k + i] * hidden, o, hidden);
    }
  };
  if (out.rows * top_k * hidden < 65536)
    run(0, out.rows, 0);
  else
    pool.parallel_range(out.rows, 1, run);
}

// Quantized experts: each token's activations are quantized once to the gate/up vec_dot_type and copied
// (as bytes) to the packed rows of its experts; the SwiGLU outputs are quantized once for the down projection.
void moe_experts_quantized(ThreadPool& pool, Arena& arena, const Kernels& k, const Tensor& x, const Grouping& g,
                           const ExpertWeights& experts, std::int64_t top_k, Tensor& out) {
  const std::int64_t m = x.rows;
  const std::int64_t hidden = x.cols;
  const std::int64_t ffn = experts.gate.front().rows;
  const std::int64_t rows = m * top_k;
  const DType gate_type = experts.gate.front().dtype, up_type = experts.up.front().dtype;
  const DType down_type = experts.down.front().dtype;
  const quant::TypeTraits& tg = quant::traits(gate_type);
  const quant::TypeTraits& tu = quant::traits(up_type);
  const quant::TypeTraits& td = quant::traits(down_type);

  // Gathered, quantized inputs (a second copy only when gate and up want different activation formats).
  auto gather = [&](DType type) {
    const QuantizedRows per_token = quantize_activations(pool, arena, type, x.data, hidden, m, hidden);
    QuantizedRows packed{nullptr, per_token.stride, rows};
    auto* buf =
        reinterpret_cast<std::uint8_t*>(arena.alloc_floats(static_cast<std::int64_t>((rows * packed.stride + 3) / 4)));
    for (std::int64_t r = 0; r < rows; ++r)
      std::memcpy(buf + r * packed.stride, per_token.data + g.packed_token[r] * per_token.stride, packed.stride);
    packed.data = buf;
    return packed;
  };
  const QuantizedRows xg = gather(gate_type);
  const QuantizedRows xu = tu.vec_dot_type == tg.vec_dot_type ? xg : gather(up_type);

  float* gate = arena.alloc_floats(rows * ffn);
  float* up = arena.alloc_floats(rows * ffn);
  float* ys = arena.alloc_floats(rows * hidden);
  const double tokens_per_expert = static_cast<double>(rows);

  const std::size_t up_row_bytes = static_cast<std::size_t>(row_bytes(gate_type, hidden));
  const std::int64_t up_rpt = rows_per_task(ffn, 2 * up_row_bytes, 1, pool.size());
  run_tasks(pool, expert_tasks(g, ffn, up_rpt), tokens_per_expert * static_cast<double>(ffn * hidden),
            [&](const Task& t, int) {
              const std::int64_t r0 = g.offset[t.expert], n = g.offset[t.expert + 1] - r0;
              const QuantizedRows xgi{xg.data + r0 * xg.stride, xg.stride, n};
              const QuantizedRows xui{xu.data + r0 * xu.stride, xu.stride, n};
              quant_gemm_range(tg, experts.gate[t.expert], t.n0, t.n1, xgi, gate + r0 * ffn, ffn);
              quant_gemm_range(tu, experts.up[t.expert], t.n0, t.n1, xui, up + r0 * ffn, ffn);
              for (std::int64_t r = r0; r < r0 + n; ++r)
                swiglu_row(gate + r * ffn + t.n0, up + r * ffn + t.n0, gate + r * ffn + t.n0, t.n1 - t.n0);
            });

  const QuantizedRows hq = quantize_activations(pool, arena, down_type, gate, ffn, rows, ffn);
  const std::size_t down_row_bytes = static_cast<std::size_t>(row_bytes(down_type, ffn));
  const std::int64_t down_rpt = rows_per_task(hidden, down_row_bytes, 1, pool.size());
  run_tasks(pool, expert_tasks(g, hidden, down_rpt), tokens_per_expert * static_cast<double>(ffn * hidden),
            [&](const Task& t, int) {
              const std::int64_t r0 = g.offset[t.expert], n = g.offset[t.expert + 1] - r0;
              const QuantizedRows hi{hq.data + r0 * hq.stride, hq.stride, n};
              quant_gemm_range(td, experts.down[t.expert], t.n0, t.n1, hi, ys + r0 * hidden, hidden);
            });
  combine(pool, k, g, top_k, ys, hidden, out);
}

}  // namespace

void moe_experts(ThreadPool& pool, ThreadScratch& scratch, Arena& arena, const Kernels& k, const Tensor& x,
                 const float* router_logits, const ExpertWeights& experts, const MoeParams& params, Tensor& out) {
  const std::int64_t m = x.rows;
  const std::int64_t hidden = x.cols;
  const std::int64_t n_experts = static_cast<std::int64_t>(experts.gate.size());
  const std::int64_t top_k = params.n_experts_used;
  const std::int64_t ffn = experts.gate.front().rows;
  const Grouping g = group_by_expert(router_logits, m, n_experts, params);
  if (is_quantized_weight(experts.gate.front().dtype) && is_quantized_weight(experts.up.front().dtype) &&
      is_quantized_weight(experts.down.front().dtype)) {
    moe_experts_quantized(pool, arena, k, x, g, experts, top_k, out);
    return;
  }
  // Weights of mixed or floating-point types: gathered f32 inputs and the f32 matmul kernels.
  require(!is_quantized_weight(experts.gate.front().dtype) && !is_quantized_weight(experts.up.front().dtype) &&
              !is_quantized_weight(experts.down.front().dtype),
          "experts mix quantized and floating-point weights ({}, {}, {}), which the CPU backend does not support",
          dtype_name(experts.gate.front().dtype), dtype_name(experts.up.front().dtype),
          dtype_name(experts.down.front().dtype));

  const std::int64_t rows = m * top_k;
  float* xs = arena.alloc_floats(rows * hidden);  // gathered inputs
  float* gate = arena.alloc_floats(rows * ffn);
  float* up = arena.alloc_floats(rows * ffn);
  float* ys = arena.alloc_floats(rows * hidden);  // expert outputs
  for (std::int64_t r = 0; r < rows; ++r)
    std::memcpy(xs + r * hidden, x.data + g.packed_token[r] * hidden, sizeof(float) * hidden);
  const double work = static_cast<double>(rows) * static_cast<double>(ffn) * static_cast<double>(hidden);

  run_tasks(pool, expert_tasks(g, ffn, kExpertTaskRows), work, [&](const Task& t, int thread) {
    const std::int64_t r0 = g.offset[t.expert], n_rows = g.offset[t.expert + 1] - r0;
    float* buf = scratch.get(thread, kMatmulRowBlock * hidden);
    matmul_range(k, xs + r0 * hidden, hidden, n_rows, experts.gate[t.expert], t.n0, t.n1, gate + r0 * ffn, ffn, buf);
    matmul_range(k, xs + r0 * hidden, hidden, n_rows, experts.up[t.expert], t.n0, t.n1, up + r0 * ffn, ffn, buf);
    for (std::int64_t r = r0; r < r0 + n_rows; ++r)
      swiglu_row(gate + r * ffn + t.n0, up + r * ffn + t.n0, gate + r * ffn + t.n0, t.n1 - t.n0);
  });
  run_tasks(pool, expert_tasks(g, hidden, kExpertTaskRows), work, [&](const Task& t, int thread) {
    const std::int64_t r0 = g.offset[t.expert], n_rows = g.offset[t.expert + 1] - r0;
    float* buf = scratch.get(thread, kMatmulRowBlock * ffn);
    matmul_range(k, gate + r0 * ffn, ffn, n_rows, experts.down[t.expert], t.n0, t.n1, ys + r0 * hidden, hidden, buf);
  });
  combine(pool, k, g, top_k, ys, hidden, out);
}

}  // namespace hearth::cpu
