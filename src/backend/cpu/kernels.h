#pragma once
// Inner loops of the CPU backend, one table per instruction set (kernels_generic.cpp: portable C++;
// kernels_avx2.cpp: AVX2 + FMA + F16C). cpu_kernels() picks the best table the CPU supports at run time,
// so new tables (AVX-512, VNNI, ...) slot in without touching the callers.
//
// Canonical summation order (what makes results batch-invariant): every dot product of length k
// accumulates element i into lane i % 8 of an 8-lane f32 accumulator for i < k - k % 8, reduces the lanes
// as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), then adds the remaining k % 8 products one by one. All
// dot-like entries of one table follow it, so a row computed by dot_tile_f32 after bf16_to_f32 equals
// the same row from dot_rows_bf16, bit for bit, whatever the batch size that picked the path.
#include <cstdint>
#include <span>

namespace hearth::cpu {

struct Kernels {
  const char* name;

  // y[i * ldy + j] = dot(x + i * ldx, w + j * ldw, k) for i < mr, j < nr; 1 <= mr <= 2, 1 <= nr <= 4.
  void (*dot_tile_f32)(const float* x, std::int64_t ldx, int mr, const float* w, std::int64_t ldw, int nr,
                       std::int64_t k, float* y, std::int64_t ldy);
  // y[j] = dot(x, row j of w) for j < nr (1 <= nr <= 4); w rows are bf16 / f16 with stride ldw elements.
  void (*dot_rows_bf16)(const float* x, const std::uint16_t* w, std::int64_t ldw, int nr, std::int64_t k, float* y);
  void (*dot_rows_f16)(const float* x, const std::uint16_t* w, std::int64_t ldw, int nr, std::int64_t k, float* y);
  // Exact widening conversions of n values.
  void (*bf16_to_f32)(const std::uint16_t* src, float* dst, std::int64_t n);
  void (*f16_to_f32)(const std::uint16_t* src, float* dst, std::int64_t n);
  // f32 -> f16, round to nearest even (the same bits in every table).
  void (*f32_to_f16)(const float* src, std::uint16_t* dst, std::int64_t n);
  // dot(a, b) of length n, canonical order.
  float (*dot_f32)(const float* a, const float* b, std::int64_t n);
  // y[i] += a * x[i].
  void (*axpy_f32)(float a, const float* x, float* y, std::int64_t n);
  // Attention's probabilities times values: for r < nr, then j = 0 .. nv - 1 in order,
  //   o[r * ldo + i] += p[r * ldp + j] * v[j * ldv + i]   for i < n,
  // each step rounded exactly as axpy_f32(p[r * ldp + j], v + j * ldv, o + r * ldo, n) rounds it, so the
  // result equals nv axpy_f32 calls bit for bit while each value row is read once for all nr rows.
  void (*weighted_rows_f32)(const float* p, std::int64_t ldp, int nr, const float* v, std::int64_t ldv, int nv,
                            std::int64_t n, float* o, std::int64_t ldo);
};

const Kernels& generic_kernels();
// nullptr when this build or this CPU lacks AVX2/FMA/F16C.
const Kernels* avx2_kernels();

// The table used by the CPU backend: the best one this CPU supports, unless the environment variable
// HEARTH_CPU_KERNELS names another ("generic", "avx2"). Chosen once per process.
const Kernels& cpu_kernels();
// Every table usable on this CPU (tests compare them).
std::span<const Kernels* const> available_kernels();

}  // namespace hearth::cpu
