#pragma once
// Shared SIMD building blocks of the x86 kernel variants (kernels_avx2.cpp, kernels_avx512.cpp).
//
// Each variant's .cpp defines HEARTH_X86_VNNI (0 or 1) and includes this and the x86_*.h kernel headers.
// Everything here sits in an unnamed namespace: every variant gets a private copy compiled with its own
// flags, so the linker can never hand AVX-512 code to an AVX2-only caller. For the same reason the kernels
// avoid std:: templates (they would be emitted as mergeable COMDAT functions).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"
#include "quant/quant.h"

#ifndef HEARTH_X86_VNNI
#error "define HEARTH_X86_VNNI before including quant/x86_common.h"
#endif

namespace hearth::quant::detail {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
  return _mm_cvtsi128_si32(s);
}

// Eight int32 lanes from the low 8 bytes of v (unsigned, < 128), each byte in both int16 halves of its lane:
// the form madd needs to multiply int16 pairs by one value per lane.
inline __m256i u8x8_to_i16_pairs(__m128i v) {
  const __m256i w = _mm256_cvtepu8_epi32(v);
  return _mm256_or_si256(w, _mm256_slli_epi32(w, 16));
}

// The same for signed bytes: each sign-extended to int16 in both halves of its lane.
inline __m256i s8x8_to_i16_pairs(__m128i v) {
  const __m256i w = _mm256_cvtepi8_epi32(v);
  return _mm256_or_si256(_mm256_and_si256(w, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(w, 16));
}

// A 32-bit value broadcast to all eight lanes (a plain load: no shuffle unit).
inline __m256i broadcast32(const void* p) {
  return _mm256_castps_si256(_mm256_broadcast_ss(static_cast<const float*>(p)));
}

inline float half_to_float(std::uint16_t h) { return _cvtsh_ss(h); }

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// acc + a·b over int16 pairs (pairs summed into int32 lanes).
inline __m256i madd_acc(__m256i acc, __m256i a, __m256i b) {
#if HEARTH_X86_VNNI
  return _mm256_dpwssd_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

// acc + u·s over groups of four u8 × s8 products, into int32 lanes. The AVX2 form goes through saturating
// int16 pair sums, so callers keep |u·s pair| < 32768: u <= 128 with |s| <= 127 (the sign trick), or u <= 63.
// Both forms then give the same exact integers.
inline __m256i dot_u8s8_acc(__m256i acc, __m256i u, __m256i s) {
#if HEARTH_X86_VNNI
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// 32 int32 values in four vectors -> 32 int8 in order (values must already fit int8).
inline __m256i pack_i32_to_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b);
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i bytes = _mm256_packs_epi16(ab, cd);  // dword order 0 4 1 5 2 6 3 7 after the in-lane packs
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Software prefetch of the weight bytes kPrefetchAhead past a block about to be read. A weight row is a few KB,
// too short for the hardware stream prefetcher to ramp up (it also stops at 4 KB pages), so without this token
// generation waits on DRAM at every row start: 1.6x the single-thread gemv bandwidth (bench/quant_bench gemv/).
#ifndef HEARTH_PREFETCH_AHEAD
#define HEARTH_PREFETCH_AHEAD 3072
#endif
inline constexpr std::size_t kPrefetchAhead = HEARTH_PREFETCH_AHEAD;

template <std::size_t kBlockBytes>
inline void prefetch_ahead(const void* block) {
  const char* p = static_cast<const char*>(block) + kPrefetchAhead;
#pragma GCC unroll 4
  for (std::size_t o = 0; o < kBlockBytes; o += 64) _mm_prefetch(p + o, _MM_HINT_T0);
}

template <class Block>
inline const Block& block_at(const std::uint8_t* row, std::int64_t i) {
  return reinterpret_cast<const Block*>(row)[i];
}

}  // namespace
}  // namespace hearth::quant::detail
