// The CPU backend's quantized ops at Qwen3-30B-A3B layer width: a dense projection (2048 x 2048) and a MoE layer
// (32 or 128 experts, top-8, expert FFN 768), for decode (1 token) and a prompt batch. Reports the weight bytes
// streamed per second (the decode figure to compare with the machine's memory bandwidth, e.g. stream_bw).
//
//   build-*/bench/quant_backend_bench --benchmark_filter=Moe [--threads via HEARTH_BENCH_THREADS, default 2]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "quant/quant.h"

namespace {

using namespace hearth;

int bench_threads() {
  const char* env = std::getenv("HEARTH_BENCH_THREADS");
  return env ? std::atoi(env) : 2;
}

std::vector<std::uint8_t> random_matrix(DType type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.05f);
  std::vector<float> row(static_cast<std::size_t>(cols));
  const std::size_t rb = static_cast<std::size_t>(row_bytes(type, cols));
  std::vector<std::uint8_t> out(rb * static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = d(rng);
    quant::quantize_row(type, row.data(), out.data() + r * rb, cols);
  }
  return out;
}

TensorView view(const std::vector<std::uint8_t>& bytes, DType type, std::int64_t rows, std::int64_t cols) {
  TensorView v;
  v.name = "w";
  v.dtype = type;
  v.shape = {rows, cols};
  v.data = bytes.data();
  v.nbytes = static_cast<std::int64_t>(bytes.size());
  return v;
}

// Dense: several distinct 2048 x 2048 matrices in turn so the weights come from memory, not cache.
void BM_Matmul(benchmark::State& state, DType type) {
  const std::int64_t m = state.range(0), k = 2048, n = 2048, copies = 16;
  cpu::CpuBackend backend(bench_threads());
  std::vector<std::vector<std::uint8_t>> mats;
  std::vector<Weight> ws;
  for (int c = 0; c < copies; ++c) mats.push_back(random_matrix(type, n, k, static_cast<std::uint32_t>(c)));
  for (auto& mat : mats) ws.push_back(backend.bind(view(mat, type, n, k)));
  std::vector<float> x(static_cast<std::size_t>(m * k), 0.5f);
  ForwardPlan plan;
  std::size_t i = 0;
  for (auto _ : state) {
    backend.begin_forward(plan);
    Tensor y = backend.matmul(Tensor{m, k, x.data()}, ws[i++ % copies], Weight{});
    benchmark::DoNotOptimize(y.data);
  }
  const double bytes = static_cast<double>(row_bytes(type, k) * n);
  state.counters["weight_GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(m), benchmark::Counter::kIsIterationInvariantRate);
}

// One MoE layer: router over `experts`, top-8, gate/up/down of 768 x 2048. Several layers in turn. 16 tokens is
// batched decoding of 16 streams (about 4 tokens per expert).
void BM_Moe(benchmark::State& state, DType gate_up, DType down) {
  const std::int64_t m = state.range(0), experts = state.range(1), hidden = 2048, ffn = 768, layers = 3;
  cpu::CpuBackend backend(bench_threads());
  struct Layer {
    std::vector<std::vector<std::uint8_t>> bytes;
    std::vector<float> router;
    Weight router_w;
    ExpertWeights w;
  };
  std::vector<Layer> ls(static_cast<std::size_t>(layers));
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& l : ls) {
    l.router.resize(static_cast<std::size_t>(experts * hidden));
    for (auto& v : l.router) v = nd(rng);
    TensorView rv;
    rv.name = "router";
    rv.dtype = DType::F32;
    rv.shape = {experts, hidden};
    rv.data = l.router.data();
    rv.nbytes = static_cast<std::int64_t>(l.router.size() * 4);
    l.router_w = backend.bind(rv);
    l.bytes.reserve(static_cast<std::size_t>(3 * experts));
    for (std::int64_t e = 0; e < experts; ++e) {
      l.bytes.push_back(random_matrix(gate_up, ffn, hidden, static_cast<std::uint32_t>(3 * e)));
      l.w.gate.push_back(backend.bind(view(l.bytes.back(), gate_up, ffn, hidden)));
      l.bytes.push_back(random_matrix(gate_up, ffn, hidden, static_cast<std::uint32_t>(3 * e + 1)));
      l.w.up.push_back(backend.bind(view(l.bytes.back(), gate_up, ffn, hidden)));
      l.bytes.push_back(random_matrix(down, hidden, ffn, static_cast<std::uint32_t>(3 * e + 2)));
      l.w.down.push_back(backend.bind(view(l.bytes.back(), down, hidden, ffn)));
    }
  }
  std::vector<float> x(static_cast<std::size_t>(m * hidden));
  for (auto& v : x) v = nd(rng);
  ForwardPlan plan;
  std::size_t i = 0;
  for (auto _ : state) {
    backend.begin_forward(plan);
    const Layer& l = ls[i++ % ls.size()];
    Tensor y = backend.moe(Tensor{m, hidden, x.data()}, l.router_w, l.w, MoeParams{8, true});
    benchmark::DoNotOptimize(y.data);
  }
  // Bytes of the experts one token reads (decode); a prompt reads each active expert once.
  const double per_expert = static_cast<double>(2 * row_bytes(gate_up, hidden) * ffn + row_bytes(down, ffn) * hidden);
  const double active = m == 1 ? 8.0 : static_cast<double>(experts);
  state.counters["weight_GB/s"] =
      benchmark::Counter(per_expert * active * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(m), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_Matmul, q8_0, DType::Q8_0)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matmul, q4_K, DType::Q4_K)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matmul, q6_K, DType::Q6_K)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK_CAPTURE(BM_Matmul, bf16, DType::BF16)->Arg(1)->Arg(512)->UseRealTime();
BENCHMARK_CAPTURE(BM_Moe, q8_0, DType::Q8_0, DType::Q8_0)->Args({1, 32})->Args({16, 32})->Args({512, 32})->UseRealTime();
BENCHMARK_CAPTURE(BM_Moe, q4_K_q6_K, DType::Q4_K, DType::Q6_K)->Args({1, 32})->Args({16, 32})->Args({512, 32})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
