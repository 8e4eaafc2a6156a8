// AVX-512 F/BW/VL/VNNI kernels (compiled with those flags; used only when the CPU has them).
// The integer kernels are the AVX2 ones on 256-bit vectors with VNNI's fused multiply-adds (vpdpbusd,
// vpdpwssd) and larger tiles for the 32 vector registers; f32/f16/bf16 use 512-bit FMA.
#define HEARTH_X86_VNNI 1
#include "quant/kernels.h"
#include "quant/x86_float.h"
#include "quant/x86_gemm.h"
#include "quant/x86_kquants.h"
#include "quant/x86_kquant45_rows8.h"
#include "quant/x86_q6k_rows8.h"
#include "quant/x86_q8.h"

namespace hearth::quant::detail {
namespace {

struct V512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float sum(V v) {
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));  // AVX512F only
    return hsum(_mm256_add_ps(_mm512_castps512_ps256(v), high));
  }
  static V load_f32(const float* p) { return _mm512_loadu_ps(p); }
  static V load_f16(const std::uint16_t* p) { return _mm512_cvtph_ps(load256(p)); }
  static V load_bf16(const std::uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load256(p)), 16));
  }
};

template <class K, int RM, int RN, int RM1>
void set(KernelTable& table, DType type, FromFloatFn from_float) {
  TypeTraits& t = table.types[kernel_slot(type)];
  t.vec_dot = vec_dot_tiled<K>;
  t.gemm = gemm_tiled<K, RM, RN, RM1>;
  if (from_float != nullptr) t.from_float = from_float;
}

}  // namespace

void install_avx512_kernels(KernelTable& table) {
  set<FloatKernel<V512, F32Weights<V512>>, 4, 4, 4>(table, DType::F32, nullptr);
  set<FloatKernel<V512, F16Weights<V512>>, 4, 4, 4>(table, DType::F16, nullptr);
  set<FloatKernel<V512, BF16Weights<V512>>, 4, 4, 4>(table, DType::BF16, nullptr);
  set<Q8DotKernel<Q8_0Weights>, 4, 4, 1>(table, DType::Q8_0, quantize_q8_0_act_x86);
  set<Q8DotKernel<Q4_0Weights>, 4, 4, 1>(table, DType::Q4_0, quantize_q8_0_act_x86);
  set<KQuant45Kernel<BlockQ4_K, false>, 2, 4, 1>(table, DType::Q4_K, quantize_q8_K_act_x86);
  set<KQuant45Kernel<BlockQ5_K, true>, 2, 4, 1>(table, DType::Q5_K, quantize_q8_K_act_x86);
  set<Q6KKernel, 2, 4, 1>(table, DType::Q6_K, quantize_q8_K_act_x86);
  // Batches of Q4_K/Q5_K/Q6_K go eight weight rows at a time (x86_rows8.h).
  table.types[kernel_slot(DType::Q4_K)].gemm = gemm_kquant45_rows8<BlockQ4_K, false, 2, 4>;
  table.types[kernel_slot(DType::Q5_K)].gemm = gemm_kquant45_rows8<BlockQ5_K, true, 2, 4>;
  table.types[kernel_slot(DType::Q6_K)].gemm = gemm_q6k_rows8<2, 4>;
}

}  // namespace hearth::quant::detail
