#pragma once
// Quantized weight formats (ggml-compatible blocks) and the CPU kernels that multiply them.
//
// Formats: quantize_row / dequantize_row convert between f32 and Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q8_K (and the
// plain f32/f16/bf16), with block layouts bit-identical to ggml's (quant/blocks.h), so GGUF files load both
// ways between Hearth and llama.cpp.
//
// Kernels: per weight type, a small table of function pointers (TypeTraits) chosen once at start-up for the
// best instruction set of this CPU (scalar, AVX2+FMA+F16C, AVX-512 F/BW/VL/VNNI). A matrix product
// y = x · Wᵀ runs as:
//   const auto& tt = quant::traits(W.dtype);
//   for each token t: tt.from_float(x + t * k, xq + t * xq_stride, k);   // activations -> tt.vec_dot_type
//   tt.gemm(k, rows, tokens, W.row(r0), W.row_stride_bytes(), xq, xq_stride, y + r0, y_stride);
// where xq_stride >= row_bytes(tt.vec_dot_type, k). Threads split the weight rows (r0 .. r0 + rows).
// All kernels are thread-safe and allocation-free.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tensor/dtype.h"

namespace hearth::quant {

// ---------------------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------------------

// True for the types quantize_row / dequantize_row handle: f32, f16, bf16, q8_0, q4_0, q4_K, q5_K, q6_K, q8_K.
bool is_supported(DType type);

// Quantizes n floats into row_bytes(type, n) bytes at dst. n must be a multiple of the type's block size
// (throws hearth::Error otherwise, or for an unsupported type). Inputs must be finite.
// `importance` (optional, n values >= 0, e.g. an imatrix column) weights the squared error that the
// K-quant and Q4_0 scale searches minimise; q8_0 ignores it. See quantize_legacy.cpp and quantize_kquants.cpp
// for the algorithms.
void quantize_row(DType type, const float* src, void* dst, std::int64_t n, const float* importance = nullptr);

// Decodes n elements (a multiple of the block size) of any supported type to f32.
void dequantize_row(DType type, const void* src, float* dst, std::int64_t n);

// ---------------------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------------------

// f32 row (n values) -> n values of the vec_dot_type at y. n must be a multiple of the block size.
using FromFloatFn = void (*)(const float* x, void* y, std::int64_t n);

// Dot product of one weight row and one activation row (in the weight type's vec_dot_type), n elements.
// Activation rows must come from from_float: the SIMD kernels rely on its 8-bit quants lying in [-127, 127].
// Weight rows may hold any bytes (every code of every format is handled exactly).
using VecDotFn = float (*)(std::int64_t n, const void* w, const void* x);

// y[t * y_stride + r] = dot(W row r, activation row t) for r < n_rows, t < n_tokens; k elements per row.
// Row r of W starts at w + r * w_stride bytes, activation row t at x + t * x_stride bytes (vec_dot_type).
// Processes several rows x several tokens per step so each weight block is loaded once per tile of tokens.
// Results equal vec_dot's for the same variant, bit for bit.
using GemmFn = void (*)(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w,
                        std::size_t w_stride, const void* x, std::size_t x_stride, float* y, std::size_t y_stride);

struct TypeTraits {
  DType type = DType::F32;           // weight type
  DType vec_dot_type = DType::F32;   // activation format vec_dot/gemm consume
  std::int64_t block_size = 1;       // k must be a multiple of this (of the weight and activation types)
  FromFloatFn from_float = nullptr;  // f32 -> vec_dot_type
  VecDotFn vec_dot = nullptr;
  GemmFn gemm = nullptr;
};

// Instruction-set variants, from the portable reference upward.
enum class CpuVariant {
  kScalar,  // portable C++; the reference every other variant is tested against
  kAvx2,    // AVX2 + FMA + F16C
  kAvx512,  // AVX-512 F + BW + VL + VNNI (the K-quant and Q8_0 dots use VNNI; f32/f16/bf16 use 512-bit FMA)
};

std::string_view variant_name(CpuVariant v);
// Parses "scalar", "avx2", "avx512" (case-sensitive); returns false when unknown.
bool parse_variant(std::string_view name, CpuVariant* out);

// Variants this CPU (and OS) can run, scalar first. Those not compiled in (non-x86 builds) are absent.
std::vector<CpuVariant> available_variants();
bool variant_available(CpuVariant v);

// The variant a HEARTH_CPU setting selects: "" or "auto" = the best available, else the named variant. Throws
// hearth::Error for an unknown name or a variant this CPU cannot run.
CpuVariant resolve_variant(std::string_view setting);

// The variant traits() uses: resolve_variant(getenv("HEARTH_CPU")) on first use, unless set_active_variant
// overrides it. Throws like resolve_variant.
CpuVariant active_variant();
// Overrides the active variant (tests, benchmarks); throws if unavailable. Not for use while kernels run.
void set_active_variant(CpuVariant v);

// True when kernels exist for weights of this type: f32, f16, bf16, q8_0, q4_0, q4_K, q5_K, q6_K.
bool has_kernels(DType type);
// The kernels for weights of `type` in the active variant, or in variant `v`. Throws hearth::Error for a type
// without kernels or an unavailable variant. The reference stays valid for the life of the process.
const TypeTraits& traits(DType type);
const TypeTraits& traits(DType type, CpuVariant v);

}  // namespace hearth::quant
