// Quantized kernels per weight type and CPU variant, single thread, at Qwen3-30B-A3B shapes
// (hidden 2048, expert FFN 768):
//   vec_dot/TYPE/VARIANT/k:K       one row · one activation, both in L1: raw kernel speed
//   gemv/TYPE/VARIANT/rows:R/k:K   one token against R x K weights streamed from a 256 MB pool (DRAM-bound,
//                                  as in token generation); bytes/s = weight bytes read
//   gemm/TYPE/VARIANT/rows:R/k:K/tokens:T   T tokens against one R x K matrix (prompt processing, MoE
//                                  experts with T routed tokens); items/s = multiply-adds
//   gemm_mem/TYPE/VARIANT/rows:R/k:K/tokens:T   as gemv, with T tokens (MoE experts in batched decoding)
//   from_float/TYPE/VARIANT        activation quantization of a 2048-wide row
// Run: build/bench/quant_bench [--benchmark_filter=gemm/q4_K]
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "quant/quant.h"

namespace hearth::quant {
namespace {

constexpr DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K,
                            DType::Q6_K, DType::F16,  DType::BF16, DType::F32};

std::vector<float> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// `rows` weight rows of `type` (quantized from Gaussian data; rows repeat every 64 to keep set-up fast).
std::vector<std::uint8_t> weights(DType type, std::int64_t rows, std::int64_t k) {
  const std::size_t stride = static_cast<std::size_t>(row_bytes(type, k));
  const std::int64_t distinct = rows < 64 ? rows : 64;
  std::vector<std::uint8_t> w(stride * static_cast<std::size_t>(rows));
  const auto x = gaussian(static_cast<std::size_t>(distinct * k), 1);
  for (std::int64_t r = 0; r < distinct; ++r) quantize_row(type, x.data() + r * k, w.data() + r * stride, k);
  for (std::int64_t r = distinct; r < rows; ++r)
    std::copy_n(w.data() + (r % distinct) * stride, stride, w.data() + r * stride);
  return w;
}

std::vector<std::uint8_t> activations(const TypeTraits& tt, std::int64_t tokens, std::int64_t k) {
  const std::size_t stride = static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k));
  std::vector<std::uint8_t> a(stride * static_cast<std::size_t>(tokens));
  const auto x = gaussian(static_cast<std::size_t>(tokens * k), 2);
  for (std::int64_t t = 0; t < tokens; ++t) tt.from_float(x.data() + t * k, a.data() + t * stride, k);
  return a;
}

void vec_dot(benchmark::State& state, DType type, CpuVariant v, std::int64_t k) {
  const TypeTraits& tt = traits(type, v);
  const auto w = weights(type, 1, k);
  const auto a = activations(tt, 1, k);
  for (auto _ : state) benchmark::DoNotOptimize(tt.vec_dot(k, w.data(), a.data()));
  state.SetBytesProcessed(state.iterations() * row_bytes(type, k));
}

// `tokens` tokens against R x K weights streamed from a 256 MB pool (a different matrix every call), as token
// generation (1 token) and MoE experts in batched decoding (a few tokens) see them.
void gemm_from_memory(benchmark::State& state, DType type, CpuVariant v, std::int64_t rows, std::int64_t k,
                      std::int64_t tokens) {
  const TypeTraits& tt = traits(type, v);
  const std::size_t stride = static_cast<std::size_t>(row_bytes(type, k));
  const std::size_t a_stride = static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k));
  const std::size_t matrix = stride * static_cast<std::size_t>(rows);
  const std::size_t pool_matrices = std::max<std::size_t>(1, (256u << 20) / matrix);
  const auto w = weights(type, rows * static_cast<std::int64_t>(pool_matrices), k);
  const auto a = activations(tt, tokens, k);
  std::vector<float> y(static_cast<std::size_t>(rows * tokens));
  std::size_t m = 0;
  for (auto _ : state) {
    tt.gemm(k, rows, tokens, w.data() + m * matrix, stride, a.data(), a_stride, y.data(), static_cast<std::size_t>(rows));
    benchmark::ClobberMemory();
    m = (m + 1) % pool_matrices;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(matrix));
}

void gemm(benchmark::State& state, DType type, CpuVariant v, std::int64_t rows, std::int64_t k, std::int64_t tokens) {
  const TypeTraits& tt = traits(type, v);
  const std::size_t stride = static_cast<std::size_t>(row_bytes(type, k));
  const std::size_t a_stride = static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k));
  const auto w = weights(type, rows, k);
  const auto a = activations(tt, tokens, k);
  std::vector<float> y(static_cast<std::size_t>(rows * tokens));
  for (auto _ : state) {
    tt.gemm(k, rows, tokens, w.data(), stride, a.data(), a_stride, y.data(), static_cast<std::size_t>(rows));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * rows * k * tokens);
  state.counters["GFLOPS"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * rows * k * tokens,
                                                benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void from_float(benchmark::State& state, DType type, CpuVariant v) {
  const TypeTraits& tt = traits(type, v);
  constexpr std::int64_t k = 2048;
  const auto x = gaussian(k, 3);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k)));
  for (auto _ : state) {
    tt.from_float(x.data(), out.data(), k);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * k * static_cast<std::int64_t>(sizeof(float)));
}

void register_all() {
  for (CpuVariant v : available_variants()) {
    const std::string variant(variant_name(v));
    for (DType type : kTypes) {
      const std::string name = std::string(dtype_name(type)) + "/" + variant;
      for (std::int64_t k : {2048, 768})
        benchmark::RegisterBenchmark(("vec_dot/" + name + "/k:" + std::to_string(k)).c_str(), vec_dot, type, v, k);
      for (auto [rows, k] : {std::pair<std::int64_t, std::int64_t>{768, 2048}, {2048, 768}}) {
        const std::string shape = "/rows:" + std::to_string(rows) + "/k:" + std::to_string(k);
        benchmark::RegisterBenchmark(("gemv/" + name + shape).c_str(), gemm_from_memory, type, v, rows, k, 1);
        for (std::int64_t tokens : {4, 8, 16})
          benchmark::RegisterBenchmark(("gemm_mem/" + name + shape + "/tokens:" + std::to_string(tokens)).c_str(),
                                       gemm_from_memory, type, v, rows, k, tokens);
        for (std::int64_t tokens : {4, 8, 16, 32, 128})
          benchmark::RegisterBenchmark(("gemm/" + name + shape + "/tokens:" + std::to_string(tokens)).c_str(), gemm,
                                       type, v, rows, k, tokens);
      }
    }
    for (DType type : {DType::Q8_0, DType::Q4_K})
      benchmark::RegisterBenchmark(("from_float/" + std::string(dtype_name(traits(type, v).vec_dot_type)) + "/" + variant).c_str(),
                                   from_float, type, v);
  }
}

}  // namespace
}  // namespace hearth::quant

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  hearth::quant::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
