#include "backend/cpu/cpu_backend.h"

#include <fmt/format.h>

#include <cassert>
#include <cstring>

#include "backend/cpu/attention.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/matmul_quant.h"
#include "backend/cpu/moe.h"
#include "quant/quant.h"
#include "util/error.h"

namespace hearth::cpu {

CpuBackend::CpuBackend(int n_threads, const Kernels* kernels)
    : pool_(n_threads), kernels_(kernels ? *kernels : cpu_kernels()), scratch_(pool_.size()) {}

std::string CpuBackend::name() const {
  return fmt::format("cpu ({} kernels, {} threads)", kernels_.name, pool_.size());
}

Weight CpuBackend::bind(const TensorView& view) {
  const bool plain = view.dtype == DType::F32 || view.dtype == DType::F16 || view.dtype == DType::BF16;
  require(plain || is_quantized_weight(view.dtype),
          "tensor {} has type {}, which the CPU backend cannot compute with (f32, f16, bf16, q8_0, q4_0, q4_K, q5_K, "
          "q6_K)",
          view.name, dtype_name(view.dtype));
  require(view.rank() == 1 || view.rank() == 2, "tensor {} has shape {}, expected a vector or a matrix", view.name,
          view.shape_string());
  require(view.row_length() % dtype_info(view.dtype).block_size == 0,
          "tensor {} has rows of {} values, not a multiple of the {} block size {}", view.name, view.row_length(),
          dtype_name(view.dtype), dtype_info(view.dtype).block_size);
  require(view.data != nullptr, "tensor {} has no data", view.name);
  Weight w;
  w.name = view.name;
  w.dtype = view.dtype;
  w.rows = view.rank() == 2 ? view.dim(0) : 1;
  w.cols = view.row_length();
  w.data = view.data;
  return w;
}

std::unique_ptr<KvStorage> CpuBackend::create_kv_storage(const KvLayout& layout) {
  return std::make_unique<CpuKvStorage>(layout);
}

void CpuBackend::begin_forward(const ForwardPlan& plan) {
  arena_.reset();
  scopes_.clear();
  plan_ = &plan;
  rope_valid_ = false;
}

void CpuBackend::begin_scope() { scopes_.push_back(arena_.mark()); }

void CpuBackend::end_scope() {
  require(!scopes_.empty(), "end_scope() without begin_scope()");
  arena_.rewind(scopes_.back());
  scopes_.pop_back();
}

Tensor CpuBackend::alloc(std::int64_t rows, std::int64_t cols) {
  return Tensor{rows, cols, arena_.alloc_floats(rows * cols)};
}

template <typename Fn>
void CpuBackend::for_rows(std::int64_t rows, std::int64_t cost_per_row, Fn&& fn) {
  if (rows * cost_per_row < 32768 || pool_.size() == 1 || rows == 1) {
    fn(std::int64_t{0}, rows);
    return;
  }
  pool_.parallel_range(rows, 1, [&](std::int64_t b, std::int64_t e, int) { fn(b, e); });
}

const float* CpuBackend::vector_f32(const Weight& w) {
  if (w.dtype == DType::F32) return static_cast<const float*>(w.data);
  float* out = arena_.alloc_floats(w.cols);
  if (is_quantized_weight(w.dtype)) {
    quant::dequantize_row(w.dtype, w.data, out, w.cols);
    return out;
  }
  const auto* src = static_cast<const std::uint16_t*>(w.data);
  (w.dtype == DType::BF16 ? kernels_.bf16_to_f32 : kernels_.f16_to_f32)(src, out, w.cols);
  return out;
}

Tensor CpuBackend::embed(const Weight& table) {
  const auto& tokens = plan_->tokens;
  Tensor out = alloc(static_cast<std::int64_t>(tokens.size()), table.cols);
  const std::int64_t stride = hearth::row_bytes(table.dtype, table.cols);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    const auto* row = static_cast<const std::uint8_t*>(table.data) + tokens[t] * stride;
    float* dst = out.data + static_cast<std::int64_t>(t) * out.cols;
    if (table.dtype == DType::F32)
      std::memcpy(dst, row, sizeof(float) * table.cols);
    else if (is_quantized_weight(table.dtype))
      quant::dequantize_row(table.dtype, row, dst, table.cols);
    else
      (table.dtype == DType::BF16 ? kernels_.bf16_to_f32 : kernels_.f16_to_f32)(
          reinterpret_cast<const std::uint16_t*>(row), dst, table.cols);
  }
  return out;
}

Tensor CpuBackend::rms_norm(const Tensor& x, const Weight& w, float eps) {
  assert(w.cols > 0 && x.cols % w.cols == 0);
  const float* wf = vector_f32(w);
  Tensor y = alloc(x.rows, x.cols);
  const std::int64_t group = w.cols;
  for_rows(x.rows, x.cols, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t c = 0; c < x.cols; c += group)
        rms_norm_group(kernels_, x.data + r * x.cols + c, wf, eps, y.data + r * y.cols + c, group);
  });
  return y;
}

Tensor CpuBackend::matmul(const Tensor& x, const Weight& w, const Weight& bias) {
  assert(x.cols == w.cols);
  Tensor y = alloc(x.rows, w.rows);
  if (is_quantized_weight(w.dtype))
    matmul_quantized(pool_, arena_, x.data, x.cols, x.rows, w, y.data, y.cols);
  else
    cpu::matmul(pool_, scratch_, kernels_, x.data, x.cols, x.rows, w, y.data, y.cols);
  if (bias) {
    assert(bias.cols == w.rows);
    const float* b = vector_f32(bias);
    for (std::int64_t r = 0; r < y.rows; ++r) {
      float* row = y.data + r * y.cols;
      for (std::int64_t c = 0; c < y.cols; ++c) row[c] += b[c];
    }
  }
  return y;
}

void CpuBackend::rope(Tensor& x, std::int64_t head_dim, float theta) {
  assert(x.cols % head_dim == 0 && x.rows == plan_->n_tokens());
  if (!rope_valid_ || rope_.head_dim != head_dim || rope_.theta != theta) {
    build_rope_table(plan_->positions, head_dim, theta, rope_);
    rope_valid_ = true;
  }
  const std::int64_t half = head_dim / 2;
  for_rows(x.rows, x.cols * 4, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r)
      rope_row(x.data + r * x.cols, x.cols / head_dim, head_dim, rope_.cos.data() + r * half,
               rope_.sin.data() + r * half);
  });
}

Tensor CpuBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, KvStorage& kv, std::int64_t layer,
                             const AttentionShape& shape) {
  auto* storage = dynamic_cast<CpuKvStorage*>(&kv);
  require(storage != nullptr, "KV storage was not created by the CPU backend");
  assert(layer >= 0 && layer < kv.layout().n_layers);
  assert(k.cols == kv.layout().kv_dim() && q.cols == shape.n_heads * shape.head_dim);
  Tensor out = alloc(q.rows, q.cols);
  paged_attention(pool_, scratch_, kernels_, *plan_, q, k, v, *storage, layer, shape, out);
  return out;
}

void CpuBackend::add(Tensor& x, const Tensor& y) {
  assert(x.rows == y.rows && x.cols == y.cols);
  const std::int64_t n = x.rows * x.cols;
  for (std::int64_t i = 0; i < n; ++i) x.data[i] += y.data[i];
}

Tensor CpuBackend::swiglu(const Tensor& gate, const Tensor& up) {
  assert(gate.rows == up.rows && gate.cols == up.cols);
  Tensor out = alloc(gate.rows, gate.cols);
  for_rows(gate.rows, gate.cols * 8, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r)
      swiglu_row(gate.data + r * gate.cols, up.data + r * up.cols, out.data + r * out.cols, gate.cols);
  });
  return out;
}

Tensor CpuBackend::moe(const Tensor& x, const Weight& router, const ExpertWeights& experts, const MoeParams& params) {
  assert(!experts.gate.empty() && experts.gate.size() == experts.up.size() && experts.up.size() == experts.down.size());
  assert(router.rows == static_cast<std::int64_t>(experts.gate.size()));
  Tensor logits = matmul(x, router, Weight{});
  Tensor out = alloc(x.rows, x.cols);
  moe_experts(pool_, scratch_, arena_, kernels_, x, logits.data, experts, params, out);
  return out;
}

Tensor CpuBackend::gather_rows(const Tensor& x, std::span<const std::int32_t> rows) {
  Tensor out = alloc(static_cast<std::int64_t>(rows.size()), x.cols);
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(out.data + static_cast<std::int64_t>(i) * x.cols, x.data + rows[i] * x.cols, sizeof(float) * x.cols);
  return out;
}

void CpuBackend::read(const Tensor& x, float* dst) {
  std::memcpy(dst, x.data, sizeof(float) * static_cast<std::size_t>(x.rows * x.cols));
}

}  // namespace hearth::cpu
