#include <cstdlib>
#include <string_view>
#include <vector>

#include "backend/cpu/kernels.h"
#include "util/error.h"
#include "util/log.h"

namespace hearth::cpu {

#if defined(HEARTH_CPU_AVX2)
const Kernels& avx2_kernel_table();  // kernels_avx2.cpp
#endif

const Kernels* avx2_kernels() {
#if defined(HEARTH_CPU_AVX2)
  static const bool supported =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  if (supported) return &avx2_kernel_table();
#endif
  return nullptr;
}

std::span<const Kernels* const> available_kernels() {
  static const std::vector<const Kernels*> tables = [] {
    std::vector<const Kernels*> t{&generic_kernels()};
    if (const Kernels* k = avx2_kernels()) t.push_back(k);
    return t;
  }();
  return tables;
}

const Kernels& cpu_kernels() {
  static const Kernels& chosen = []() -> const Kernels& {
    auto tables = available_kernels();
    const char* forced = std::getenv("HEARTH_CPU_KERNELS");
    if (forced && *forced) {
      for (const Kernels* t : tables)
        if (std::string_view(t->name) == forced) return *t;
      spdlog::warn("HEARTH_CPU_KERNELS={} is not available on this CPU; using {}", forced, tables.back()->name);
    }
    return *tables.back();  // tables are listed from the most portable to the fastest
  }();
  return chosen;
}

}  // namespace hearth::cpu
