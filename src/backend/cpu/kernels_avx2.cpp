// AVX2 + FMA + F16C kernels, in the canonical summation order of kernels.h. This file alone is compiled
// with -mavx2 -mfma -mf16c; it must not instantiate inline library code (std:: templates, <cmath>), which
// the linker could pick for other files and run on CPUs without AVX2. kernels_select.cpp only hands the
// table out after checking the CPU.
#include <immintrin.h>

#include <cstdint>

#include "backend/cpu/kernels.h"

namespace hearth::cpu {
namespace {

// ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))
inline float reduce8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

inline float fma1(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

inline float bf16_scalar(std::uint16_t b) {
  return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(static_cast<int>(static_cast<std::uint32_t>(b) << 16))));
}

inline float f16_scalar(std::uint16_t h) { return _cvtsh_ss(h); }

inline __m256 load_bf16x8(const std::uint16_t* p) {
  __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

inline __m256 load_f16x8(const std::uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

template <int MR, int NR>
void tile(const float* x, std::int64_t ldx, const float* w, std::int64_t ldw, std::int64_t k, float* y,
          std::int64_t ldy) {
  __m256 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const std::int64_t k8 = k - k % 8;
  for (std::int64_t e = 0; e < k8; e += 8) {
    __m256 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + j * ldw + e);
    for (int i = 0; i < MR; ++i) {
      __m256 xv = _mm256_loadu_ps(x + i * ldx + e);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      float s = reduce8(acc[i][j]);
      for (std::int64_t e = k8; e < k; ++e) s = fma1(x[i * ldx + e], w[j * ldw + e], s);
      y[i * ldy + j] = s;
    }
}

void dot_tile_f32(const float* x, std::int64_t ldx, int mr, const float* w, std::int64_t ldw, int nr, std::int64_t k,
                  float* y, std::int64_t ldy) {
  if (mr == 2) {
    switch (nr) {
      case 4:
        return tile<2, 4>(x, ldx, w, ldw, k, y, ldy);
      case 3:
        return tile<2, 3>(x, ldx, w, ldw, k, y, ldy);
      case 2:
        return tile<2, 2>(x, ldx, w, ldw, k, y, ldy);
      default:
        return tile<2, 1>(x, ldx, w, ldw, k, y, ldy);
    }
  }
  switch (nr) {
    case 4:
      return tile<1, 4>(x, ldx, w, ldw, k, y, ldy);
    case 3:
      return tile<1, 3>(x, ldx, w, ldw, k, y, ldy);
    case 2:
      return tile<1, 2>(x, ldx, w, ldw, k, y, ldy);
    default:
      return tile<1, 1>(x, ldx, w, ldw, k, y, ldy);
  }
}

// One x row against NR 16-bit weight rows, converting in registers.
template <int NR, bool kBf16>
void rows16(const float* x, const std::uint16_t* w, std::int64_t ldw, std::int64_t k, float* y) {
  __m256 acc[NR];
  for (int j = 0; j < NR; ++j) acc[j] = _mm256_setzero_ps();
  const std::int64_t k8 = k - k % 8;
  for (std::int64_t e = 0; e < k8; e += 8) {
    __m256 xv = _mm256_loadu_ps(x + e);
    for (int j = 0; j < NR; ++j) {
      __m256 wv = kBf16 ? load_bf16x8(w + j * ldw + e) : load_f16x8(w + j * ldw + e);
      acc[j] = _mm256_fmadd_ps(xv, wv, acc[j]);
    }
  }
  for (int j = 0; j < NR; ++j) {
    float s = reduce8(acc[j]);
    for (std::int64_t e = k8; e < k; ++e) {
      std::uint16_t v = w[j * ldw + e];
      s = fma1(x[e], kBf16 ? bf16_scalar(v) : f16_scalar(v), s);
    }
    y[j] = s;
  }
}

template <bool kBf16>
void dot_rows16(const float* x, const std::uint16_t* w, std::int64_t ldw, int nr, std::int64_t k, float* y) {
  switch (nr) {
    case 4:
      return rows16<4, kBf16>(x, w, ldw, k, y);
    case 3:
      return rows16<3, kBf16>(x, w, ldw, k, y);
    case 2:
      return rows16<2, kBf16>(x, w, ldw, k, y);
    default:
      return rows16<1, kBf16>(x, w, ldw, k, y);
  }
}

void convert_bf16(const std::uint16_t* src, float* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_bf16x8(src + i));
  for (; i < n; ++i) dst[i] = bf16_scalar(src[i]);
}

void narrow_f16(const float* src, std::uint16_t* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

void convert_f16(const std::uint16_t* src, float* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_f16x8(src + i));
  for (; i < n; ++i) dst[i] = f16_scalar(src[i]);
}

float dot_f32(const float* a, const float* b, std::int64_t n) {
  float y;
  tile<1, 1>(a, 0, b, 0, n, &y, 0);
  return y;
}

void axpy_f32(float a, const float* x, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] = fma1(a, x[i], y[i]);
}

// R rows of o (up to 4) x 16 columns stay in 8 registers while the value rows stream past: each value row
// is loaded once for all R rows instead of once per row, and o is not reloaded per value row.
template <int R>
void weighted_rows_tile(const float* p, std::int64_t ldp, const float* v, std::int64_t ldv, int nv, std::int64_t n,
                        float* o, std::int64_t ldo) {
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) {
      acc[r][0] = _mm256_loadu_ps(o + r * ldo + i);
      acc[r][1] = _mm256_loadu_ps(o + r * ldo + i + 8);
    }
    for (int j = 0; j < nv; ++j) {
      const __m256 v0 = _mm256_loadu_ps(v + j * ldv + i), v1 = _mm256_loadu_ps(v + j * ldv + i + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_broadcast_ss(p + r * ldp + j);
        acc[r][0] = _mm256_fmadd_ps(a, v0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, v1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(o + r * ldo + i, acc[r][0]);
      _mm256_storeu_ps(o + r * ldo + i + 8, acc[r][1]);
    }
  }
  // Columns past the last 16: the same per-element steps as axpy_f32.
  if (i < n)
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < nv; ++j) axpy_f32(p[r * ldp + j], v + j * ldv + i, o + r * ldo + i, n - i);
}

void weighted_rows_f32(const float* p, std::int64_t ldp, int nr, const float* v, std::int64_t ldv, int nv,
                       std::int64_t n, float* o, std::int64_t ldo) {
  int r = 0;
  for (; r + 4 <= nr; r += 4) weighted_rows_tile<4>(p + r * ldp, ldp, v, ldv, nv, n, o + r * ldo, ldo);
  switch (nr - r) {
    case 3: weighted_rows_tile<3>(p + r * ldp, ldp, v, ldv, nv, n, o + r * ldo, ldo); break;
    case 2: weighted_rows_tile<2>(p + r * ldp, ldp, v, ldv, nv, n, o + r * ldo, ldo); break;
    case 1: weighted_rows_tile<1>(p + r * ldp, ldp, v, ldv, nv, n, o + r * ldo, ldo); break;
    default: break;
  }
}

const Kernels kTable{"avx2",       dot_tile_f32, dot_rows16<true>, dot_rows16<false>,
                     convert_bf16, convert_f16,  narrow_f16,       dot_f32,
                     axpy_f32,
                     weighted_rows_f32};

}  // namespace

// Called only after the CPU check in kernels_select.cpp.
const Kernels& avx2_kernel_table() { return kTable; }

}  // namespace hearth::cpu
