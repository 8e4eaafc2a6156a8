// Compiled with -mavx2 -mfma -mf16c (see CMakeLists.txt). The two VNNI instructions are replaced by exact AVX2
// equivalents; everything else is the code kernels_avx512.cpp compiles.
#include <immintrin.h>

namespace {

// vpdpbusd: acc + sum over each group of four of u8(a) * s8(b), without saturation.
inline __m256i emulated_dpbusd(__m256i acc, __m256i a, __m256i b) {
  const __m256i a_even = _mm256_and_si256(a, _mm256_set1_epi16(0x00ff));
  const __m256i a_odd = _mm256_srli_epi16(a, 8);
  const __m256i b_even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8);
  const __m256i b_odd = _mm256_srai_epi16(b, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(a_even, b_even), _mm256_madd_epi16(a_odd, b_odd)));
}

// vpdpwssd: acc + sum over each pair of s16(a) * s16(b).
inline __m256i emulated_dpwssd(__m256i acc, __m256i a, __m256i b) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
}

}  // namespace

#undef _mm256_dpbusd_epi32
#undef _mm256_dpwssd_epi32
#define _mm256_dpbusd_epi32 emulated_dpbusd
#define _mm256_dpwssd_epi32 emulated_dpwssd
#define HEARTH_X86_VNNI 1
#include "quant/x86_gemm.h"
#include "quant/x86_kquants.h"
#include "quant/x86_kquant45_rows8.h"
#include "quant/x86_q6k_rows8.h"
#include "quant/x86_q8.h"
#include "vnni_emulation.h"

namespace hearth::quant::test {

GemmFn vnni_emulated_gemm(DType type) {
  using namespace detail;
  switch (type) {  // the shapes of install_avx512_kernels
    case DType::Q8_0: return gemm_tiled<Q8DotKernel<Q8_0Weights>, 4, 4, 4>;
    case DType::Q4_0: return gemm_tiled<Q8DotKernel<Q4_0Weights>, 4, 4, 4>;
    case DType::Q4_K: return gemm_kquant45_rows8<BlockQ4_K, false, 2, 4>;
    case DType::Q5_K: return gemm_kquant45_rows8<BlockQ5_K, true, 2, 4>;
    case DType::Q6_K: return gemm_q6k_rows8<2, 4>;
    default: return nullptr;
  }
}

}  // namespace hearth::quant::test
