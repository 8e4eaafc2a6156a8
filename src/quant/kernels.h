#pragma once
// Internal: one table of TypeTraits per instruction-set variant. Each variant's file fills in the entries it
// implements on top of the table of the variant below it (scalar <- avx2 <- avx512).
//
// Included by files compiled with -mavx2 / -mavx512*: declare only, never define inline functions here.
#include "quant/quant.h"

namespace hearth::quant::detail {

inline constexpr int kKernelTypes = 8;  // f32, f16, bf16, q8_0, q4_0, q4_K, q5_K, q6_K

// Index of a weight type in KernelTable::types, or -1 when it has no kernels.
int kernel_slot(DType type);

struct KernelTable {
  TypeTraits types[kKernelTypes];
};

void install_scalar_kernels(KernelTable& table);
// Defined only in x86-64 builds; call only when the CPU supports the variant.
void install_avx2_kernels(KernelTable& table);
void install_avx512_kernels(KernelTable& table);

}  // namespace hearth::quant::detail
