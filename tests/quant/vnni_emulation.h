#pragma once
// The VNNI build of the integer kernels (what kernels_avx512.cpp compiles), run on AVX2 hardware with
// vpdpbusd/vpdpwssd emulated, so their logic is tested on machines without AVX-512.
// Call only when quant::variant_available(CpuVariant::kAvx2).
#include "quant/quant.h"

namespace hearth::quant::test {

// GEMM of the VNNI kernel for weight type `type` (q8_0, q4_0, q4_K, q5_K, q6_K) with the AVX-512 tile shapes.
GemmFn vnni_emulated_gemm(DType type);

}  // namespace hearth::quant::test
