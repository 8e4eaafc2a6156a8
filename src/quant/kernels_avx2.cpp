// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; used only when the CPU has them).
// Tile shapes fit AVX2's 16 vector registers; see bench/quant_bench.cpp for how they were chosen.
#define HEARTH_X86_VNNI 0
#include "quant/kernels.h"
#include "quant/x86_float.h"
#include "quant/x86_gemm.h"
#include "quant/x86_kquants.h"
#include "quant/x86_kquant45_rows8.h"
#include "quant/x86_q6k_rows8.h"
#include "quant/x86_q8.h"

namespace hearth::quant::detail {
namespace {

template <class K, int RM, int RN, int RM1>
void set(KernelTable& table, DType type, FromFloatFn from_float) {
  TypeTraits& t = table.types[kernel_slot(type)];
  t.vec_dot = vec_dot_tiled<K>;
  t.gemm = gemm_tiled<K, RM, RN, RM1>;
  if (from_float != nullptr) t.from_float = from_float;
}

}  // namespace

void install_avx2_kernels(KernelTable& table) {
  set<FloatKernel<V256, F32Weights<V256>>, 4, 3, 4>(table, DType::F32, nullptr);
  set<FloatKernel<V256, F16Weights<V256>>, 4, 3, 4>(table, DType::F16, nullptr);
  set<FloatKernel<V256, BF16Weights<V256>>, 4, 3, 4>(table, DType::BF16, nullptr);
  set<Q8DotKernel<Q8_0Weights>, 4, 3, 1>(table, DType::Q8_0, quantize_q8_0_act_x86);
  set<Q8DotKernel<Q4_0Weights>, 4, 3, 1>(table, DType::Q4_0, quantize_q8_0_act_x86);
  set<KQuant45Kernel<BlockQ4_K, false>, 1, 4, 1>(table, DType::Q4_K, quantize_q8_K_act_x86);
  set<KQuant45Kernel<BlockQ5_K, true>, 1, 4, 1>(table, DType::Q5_K, quantize_q8_K_act_x86);
  set<Q6KKernel, 1, 4, 1>(table, DType::Q6_K, quantize_q8_K_act_x86);
  // Batches of Q4_K/Q5_K/Q6_K go eight weight rows at a time (x86_rows8.h).
  table.types[kernel_slot(DType::Q4_K)].gemm = gemm_kquant45_rows8<BlockQ4_K, false, 1, 4>;
  table.types[kernel_slot(DType::Q5_K)].gemm = gemm_kquant45_rows8<BlockQ5_K, true, 1, 4>;
  table.types[kernel_slot(DType::Q6_K)].gemm = gemm_q6k_rows8<1, 4>;
}

}  // namespace hearth::quant::detail
