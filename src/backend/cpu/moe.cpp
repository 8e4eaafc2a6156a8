#include "backend/cpu/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/matmul.h"

namespace hearth::cpu {
namespace {
constexpr std::int64_t kExpertTaskRows = 32;  // weight rows per task (a multiple of kMatmulRowBlock)
}  // namespace

void route_token(const float* logits, std::int64_t n_experts, const MoeParams& params, Route* out) {
  std::vector<float> probs(static_cast<std::size_t>(n_experts));
  float mx = *std::max_element(logits, logits + n_experts);
  float sum = 0.0f;
  for (std::int64_t e = 0; e < n_experts; ++e) {
    probs[e] = std::exp(logits[e] - mx);
    sum += probs[e];
  }
  for (auto& p : probs) p /= sum;
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n_experts));
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

void moe_experts(ThreadPool& pool, ThreadScratch& scratch, Arena& arena, const Kernels& k, const Tensor& x,
                 const float* router_logits, const ExpertWeights& experts, const MoeParams& params, Tensor& out) {
  const std::int64_t m = x.rows;
  const std::int64_t hidden = x.cols;
  const std::int64_t n_experts = static_cast<std::int64_t>(experts.gate.size());
  const std::int64_t top_k = params.n_experts_used;
  const std::int64_t ffn = experts.gate.front().rows;

  // Routing, then rows grouped by expert: expert e owns packed rows [offset[e], offset[e + 1]).
  std::vector<Route> routes(static_cast<std::size_t>(m * top_k));
  for (std::int64_t t = 0; t < m; ++t)
    route_token(router_logits + t * n_experts, n_experts, params, &routes[t * top_k]);
  std::vector<std::int64_t> offset(static_cast<std::size_t>(n_experts + 1), 0);
  for (const Route& r : routes) ++offset[r.expert + 1];
  for (std::int64_t e = 0; e < n_experts; ++e) offset[e + 1] += offset[e];
  std::vector<std::int64_t> fill(offset.begin(), offset.end() - 1);
  std::vector<std::int64_t> packed_token(routes.size());  // packed row -> token
  std::vector<std::int64_t> row_of_route(routes.size());  // (token, k) -> packed row
  for (std::int64_t t = 0; t < m; ++t)
    for (std::int64_t i = 0; i < top_k; ++i) {
      std::int64_t row = fill[routes[t * top_k + i].expert]++;
      packed_token[row] = t;
      row_of_route[t * top_k + i] = row;
    }

  const std::int64_t rows = m * top_k;
  float* xs = arena.alloc_floats(rows * hidden);  // gathered inputs
  float* gate = arena.alloc_floats(rows * ffn);
  float* up = arena.alloc_floats(rows * ffn);
  float* ys = arena.alloc_floats(rows * hidden);  // expert outputs
  for (std::int64_t r = 0; r < rows; ++r)
    std::memcpy(xs + r * hidden, x.data + packed_token[r] * hidden, sizeof(float) * hidden);

  // Tasks = (active expert, block of weight rows): every expert's block is read once for all its tokens.
  struct Task {
    std::int64_t expert, n0, n1;
  };
  auto make_tasks = [&](std::int64_t n_rows) {
    std::vector<Task> tasks;
    for (std::int64_t e = 0; e < n_experts; ++e)
      if (offset[e + 1] > offset[e])
        for (std::int64_t n0 = 0; n0 < n_rows; n0 += kExpertTaskRows)
          tasks.push_back({e, n0, std::min(n_rows, n0 + kExpertTaskRows)});
    return tasks;
  };
  auto run_tasks = [&](const std::vector<Task>& tasks, const auto& body) {
    double work = static_cast<double>(rows) * static_cast<double>(ffn) * static_cast<double>(hidden);
    if (work < 65536.0 || pool.size() == 1) {
      for (std::size_t i = 0; i < tasks.size(); ++i) body(tasks[i], 0);
    } else {
      pool.parallel_for(static_cast<std::int64_t>(tasks.size()),
                        [&](std::int64_t i, int thread) { body(tasks[static_cast<std::size_t>(i)], thread); });
    }
  };

  const auto up_tasks = make_tasks(ffn);
  run_tasks(up_tasks, [&](const Task& t, int thread) {
    const std::int64_t r0 = offset[t.expert], n_rows = offset[t.expert + 1] - r0;
    float* buf = scratch.get(thread, kMatmulRowBlock * hidden);
    matmul_range(k, xs + r0 * hidden, hidden, n_rows, experts.gate[t.expert], t.n0, t.n1, gate + r0 * ffn, ffn, buf);
    matmul_range(k, xs + r0 * hidden, hidden, n_rows, experts.up[t.expert], t.n0, t.n1, up + r0 * ffn, ffn, buf);
    for (std::int64_t r = r0; r < r0 + n_rows; ++r)
      swiglu_row(gate + r * ffn + t.n0, up + r * ffn + t.n0, gate + r * ffn + t.n0, t.n1 - t.n0);
  });
  const auto down_tasks = make_tasks(hidden);
  run_tasks(down_tasks, [&](const Task& t, int thread) {
    const std::int64_t r0 = offset[t.expert], n_rows = offset[t.expert + 1] - r0;
    float* buf = scratch.get(thread, kMatmulRowBlock * ffn);
    matmul_range(k, gate + r0 * ffn, ffn, n_rows, experts.down[t.expert], t.n0, t.n1, ys + r0 * hidden, hidden, buf);
  });

  // Weighted sum in ascending expert order (as the reference implementation adds them).
  auto combine = [&](std::int64_t t0, std::int64_t t1, int) {
    for (std::int64_t t = t0; t < t1; ++t) {
      float* o = out.data + t * hidden;
      std::fill(o, o + hidden, 0.0f);
      for (std::int64_t i = 0; i < top_k; ++i)
        k.axpy_f32(routes[t * top_k + i].weight, ys + row_of_route[t * top_k + i] * hidden, o, hidden);
    }
  };
  if (rows * hidden < 65536)
    combine(0, m, 0);
  else
    pool.parallel_range(m, 1, combine);
}

}  // namespace hearth::cpu
