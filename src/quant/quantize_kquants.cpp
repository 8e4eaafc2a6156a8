// K-quants: super-blocks of 256 values with quantized per-sub-block scales.
//
// Algorithm (Q4_K and Q5_K, "type-1": x̂ = d·sc[j]·q − dmin·m[j], q in [0, 15] or [0, 31]):
//  1. Error weights per value: mean|x| + |x_i| over the super-block, or importance_i·sqrt(mean x² + x_i²).
//  2. Each sub-block of 32 gets its own best float (scale, min) from fit_affine: a sweep over 21 candidate
//     grids, each followed by a weighted least-squares fit of scale and min, then re-round/re-fit iterations.
//  3. The 8 scales and 8 mins are quantized to 6 bits against super-block factors d = max(scale)/63 and
//     dmin = max(min)/63 (stored as f16; everything after this uses the stored values). Each sub-block then
//     tries its neighbouring 6-bit scale and min (3 x 3 choices) and keeps the pair with the lowest error.
//  4. Codes are re-derived for the quantized scales, then d and dmin are re-fitted jointly by least squares
//     for those integer scales and codes, and the codes re-derived once more; the better of the two stays.
// Q6_K ("type-0": x̂ = d·sc[j]·(q − 32), 16 sub-blocks of 16, signed 8-bit sc) does the same with
// fit_symmetric and a one-factor refit of d.
#include <cmath>
#include <cstring>

#include "quant/formats.h"
#include "quant/scale_search.h"
#include "tensor/dtype.h"

namespace hearth::quant::detail {
namespace {

constexpr int kSub = 32;  // Q4_K/Q5_K sub-block size

// Float result of quantizing one type-1 super-block.
struct Type1Block {
  std::uint16_t d = 0, dmin = 0;
  std::uint8_t sc[8] = {}, m[8] = {};
  std::uint8_t codes[kQKK] = {};
};

void type1_codes(const float* x, int nmax, float d, float dmin, Type1Block& b) {
  for (int j = 0; j < 8; ++j) {
    const float s = d * b.sc[j], off = dmin * b.m[j];
    const float inv = s > 0 ? 1.0f / s : 0.0f;
    for (int i = 0; i < kSub; ++i) {
      const int e = j * kSub + i;
      b.codes[e] = static_cast<std::uint8_t>(round_clamped((x[e] + off) * inv, 0.0f, static_cast<float>(nmax)));
    }
  }
}

double type1_error(const float* x, const float* w, const Type1Block& b) {
  const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
  double err = 0;
  for (int e = 0; e < kQKK; ++e) {
    const int j = e / kSub;
    const double diff = static_cast<double>(d * b.sc[j]) * b.codes[e] - dmin * b.m[j] - x[e];
    err += w[e] * diff * diff;
  }
  return err;
}

// Least-squares (d, dmin) for fixed integer scales, mins and codes: x ≈ d·(sc·q) − dmin·m.
bool refit_type1(const float* x, const float* w, const Type1Block& b, float* d, float* dmin) {
  double saa = 0, sab = 0, sbb = 0, sax = 0, sbx = 0;
  for (int e = 0; e < kQKK; ++e) {
    const int j = e / kSub;
    const double a = static_cast<double>(b.sc[j]) * b.codes[e], c = -static_cast<double>(b.m[j]);
    saa += w[e] * a * a;
    sab += w[e] * a * c;
    sbb += w[e] * c * c;
    sax += w[e] * a * x[e];
    sbx += w[e] * c * x[e];
  }
  const double det = saa * sbb - sab * sab;
  if (!(det > 0)) return false;
  const double nd = (sbb * sax - sab * sbx) / det, ndmin = (saa * sbx - sab * sax) / det;
  if (!(nd > 0) || ndmin < 0) return false;
  *d = static_cast<float>(nd);
  *dmin = static_cast<float>(ndmin);
  return true;
}

// Tries the neighbouring 6-bit scale and min of each sub-block (the rounding of step 3 is not error-aware).
void polish_type1(const float* x, const float* w, int nmax, float d, float dmin, Type1Block& b) {
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + j * kSub;
    const float* ws = w + j * kSub;
    float best = -1;
    int best_sc = b.sc[j], best_m = b.m[j];
    for (int sc = b.sc[j] - 1; sc <= b.sc[j] + 1; ++sc) {
      for (int m = b.m[j] - 1; m <= b.m[j] + 1; ++m) {
        if (sc < 0 || sc > 63 || m < 0 || m > 63) continue;
        const float s = d * sc, off = dmin * m, inv = s > 0 ? 1.0f / s : 0.0f;
        const float fmax = static_cast<float>(nmax);
        float err = 0;
#pragma omp simd reduction(+ : err)
        for (int i = 0; i < kSub; ++i) {
          const float diff = s * round_clamped((xs[i] + off) * inv, 0.0f, fmax) - off - xs[i];
          err += ws[i] * diff * diff;
        }
        if (best < 0 || err < best) {
          best = err;
          best_sc = sc;
          best_m = m;
        }
      }
    }
    b.sc[j] = static_cast<std::uint8_t>(best_sc);
    b.m[j] = static_cast<std::uint8_t>(best_m);
  }
}

void quantize_type1(const float* x, const float* imp, int nmax, Type1Block& b) {
  float w[kQKK];
  error_weights(x, imp, kQKK, w);
  float scales[8], mins[8], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const AffineFit fit = fit_affine(x + j * kSub, w + j * kSub, kSub, nmax);
    scales[j] = fit.scale;
    mins[j] = fit.min;
    max_scale = std::fmax(max_scale, fit.scale);
    max_min = std::fmax(max_min, fit.min);
  }
  b.d = to_half(max_scale / 63.0f);
  b.dmin = to_half(max_min / 63.0f);
  const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
  for (int j = 0; j < 8; ++j) {
    b.sc[j] = static_cast<std::uint8_t>(d > 0 ? clamp_int(nearest_int(scales[j] / d), 0, 63) : 0);
    b.m[j] = static_cast<std::uint8_t>(dmin > 0 ? clamp_int(nearest_int(mins[j] / dmin), 0, 63) : 0);
  }
  polish_type1(x, w, nmax, d, dmin, b);
  type1_codes(x, nmax, d, dmin, b);

  float nd, ndmin;
  if (!refit_type1(x, w, b, &nd, &ndmin)) return;
  Type1Block alt = b;
  alt.d = to_half(nd);
  alt.dmin = to_half(ndmin);
  type1_codes(x, nmax, f16_to_f32(alt.d), f16_to_f32(alt.dmin), alt);
  if (type1_error(x, w, alt) < type1_error(x, w, b)) b = alt;
}

// Q6_K: integer scales and codes (q - 32) of one super-block.
struct Type0Block {
  std::uint16_t d = 0;
  std::int8_t sc[16] = {};
  std::int8_t codes[kQKK] = {};  // -32 .. 31
};

void type0_codes(const float* x, float d, Type0Block& b) {
  for (int e = 0; e < kQKK; ++e) {
    const float s = d * b.sc[e / 16];
    const float inv = s != 0 ? 1.0f / s : 0.0f;
    b.codes[e] = static_cast<std::int8_t>(round_clamped(x[e] * inv, -32.0f, 31.0f));
  }
}

double type0_error(const float* x, const float* w, const Type0Block& b) {
  const float d = f16_to_f32(b.d);
  double err = 0;
  for (int e = 0; e < kQKK; ++e) {
    const double diff = static_cast<double>(d * b.sc[e / 16]) * b.codes[e] - x[e];
    err += w[e] * diff * diff;
  }
  return err;
}

void quantize_type0(const float* x, const float* imp, Type0Block& b) {
  float w[kQKK];
  error_weights(x, imp, kQKK, w);
  float scales[16], max_scale = 0, amax = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_symmetric(x + j * 16, w + j * 16, 16, 32);
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  if (amax == 0) return;  // all-zero block: d = 0, codes 0
  // The largest scale maps to -128, the longer end of int8.
  b.d = to_half(max_scale / -128.0f);
  const float d = f16_to_f32(b.d);
  for (int j = 0; j < 16; ++j)
    b.sc[j] = static_cast<std::int8_t>(d != 0 ? clamp_int(nearest_int(scales[j] / d), -128, 127) : 0);
  type0_codes(x, d, b);

  double sxg = 0, sgg = 0;  // one-factor refit of d: x ≈ d·(sc·code)
  for (int e = 0; e < kQKK; ++e) {
    const double g = static_cast<double>(b.sc[e / 16]) * b.codes[e];
    sxg += w[e] * x[e] * g;
    sgg += w[e] * g * g;
  }
  if (!(sgg > 0)) return;
  Type0Block alt = b;
  alt.d = to_half(static_cast<float>(sxg / sgg));
  type0_codes(x, f16_to_f32(alt.d), alt);
  if (type0_error(x, w, alt) < type0_error(x, w, b)) b = alt;
}

void pack_low_nibbles(const std::uint8_t* codes, std::uint8_t* qs) {
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<std::uint8_t>((codes[64 * c + l] & 0x0f) | ((codes[64 * c + 32 + l] & 0x0f) << 4));
}

}  // namespace

void quantize_q4_K(const float* x, BlockQ4_K* y, std::int64_t nb, const float* imp) {
  for (std::int64_t i = 0; i < nb; ++i) {
    Type1Block b;
    quantize_type1(x + i * kQKK, imp ? imp + i * kQKK : nullptr, 15, b);
    y[i].d = b.d;
    y[i].dmin = b.dmin;
    pack_scales_k4(b.sc, b.m, y[i].scales);
    pack_low_nibbles(b.codes, y[i].qs);
  }
}

void quantize_q5_K(const float* x, BlockQ5_K* y, std::int64_t nb, const float* imp) {
  for (std::int64_t i = 0; i < nb; ++i) {
    Type1Block b;
    quantize_type1(x + i * kQKK, imp ? imp + i * kQKK : nullptr, 31, b);
    y[i].d = b.d;
    y[i].dmin = b.dmin;
    pack_scales_k4(b.sc, b.m, y[i].scales);
    pack_low_nibbles(b.codes, y[i].qs);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qh[l] |= static_cast<std::uint8_t>(((b.codes[64 * c + l] >> 4) << (2 * c)) |
                                                 ((b.codes[64 * c + 32 + l] >> 4) << (2 * c + 1)));
  }
}

void quantize_q6_K(const float* x, BlockQ6_K* y, std::int64_t nb, const float* imp) {
  for (std::int64_t i = 0; i < nb; ++i) {
    Type0Block b;
    quantize_type0(x + i * kQKK, imp ? imp + i * kQKK : nullptr, b);
    y[i].d = b.d;
    std::memcpy(y[i].scales, b.sc, 16);
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 32; ++l) {
        const int base = 128 * h + l;
        const int q1 = b.codes[base] + 32, q2 = b.codes[base + 32] + 32;
        const int q3 = b.codes[base + 64] + 32, q4 = b.codes[base + 96] + 32;
        y[i].ql[64 * h + l] = static_cast<std::uint8_t>((q1 & 0x0f) | ((q3 & 0x0f) << 4));
        y[i].ql[64 * h + 32 + l] = static_cast<std::uint8_t>((q2 & 0x0f) | ((q4 & 0x0f) << 4));
        y[i].qh[32 * h + l] = static_cast<std::uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

void quantize_q8_K_act(const float* x, void* out, std::int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(out);
  for (std::int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0;
    for (int e = 0; e < kQKK; ++e) amax = std::fmax(amax, std::fabs(x[e]));
    const float iscale = amax != 0 ? 127.0f / amax : 0.0f;
    y[i].d = amax != 0 ? 1.0f / iscale : 0.0f;
    for (int e = 0; e < kQKK; ++e) y[i].qs[e] = static_cast<std::int8_t>(clamp_int(nearest_int(x[e] * iscale), -127, 127));
    for (int g = 0; g < kQKK / 16; ++g) {
      int sum = 0;
      for (int e = 0; e < 16; ++e) sum += y[i].qs[16 * g + e];
      y[i].bsums[g] = static_cast<std::int16_t>(sum);
    }
  }
}

void dequantize_q4_K(const BlockQ4_K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d), dmin = f16_to_f32(x[i].dmin);
    std::uint8_t sm[16];
    unpack_scales_k4(x[i].scales, sm);
    for (int c = 0; c < 4; ++c) {
      const float d1 = d * sm[2 * c], m1 = dmin * sm[8 + 2 * c];
      const float d2 = d * sm[2 * c + 1], m2 = dmin * sm[8 + 2 * c + 1];
      const std::uint8_t* q = x[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void dequantize_q5_K(const BlockQ5_K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d), dmin = f16_to_f32(x[i].dmin);
    std::uint8_t sm[16];
    unpack_scales_k4(x[i].scales, sm);
    for (int c = 0; c < 4; ++c) {
      const float d1 = d * sm[2 * c], m1 = dmin * sm[8 + 2 * c];
      const float d2 = d * sm[2 * c + 1], m2 = dmin * sm[8 + 2 * c + 1];
      const std::uint8_t* q = x[i].qs + 32 * c;
      const std::uint8_t* qh = x[i].qh;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0x0f) | (((qh[l] >> (2 * c)) & 1) << 4)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4)) - m2;
    }
  }
}

void dequantize_q6_K(const BlockQ6_K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int h = 0; h < 2; ++h, y += 128) {
      const std::uint8_t* ql = x[i].ql + 64 * h;
      const std::uint8_t* qh = x[i].qh + 32 * h;
      const std::int8_t* sc = x[i].scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

void dequantize_q8_K(const BlockQ8_K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i)
    for (int e = 0; e < kQKK; ++e) *y++ = x[i].d * x[i].qs[e];
}

}  // namespace hearth::quant::detail
