// Chooses the kernel variant once (CPU features, HEARTH_CPU) and hands out its TypeTraits.
#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

#include "quant/cpu_features.h"
#include "quant/kernels.h"
#include "util/error.h"

namespace hearth::quant {
namespace detail {

int kernel_slot(DType type) {
  switch (type) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::BF16: return 2;
    case DType::Q8_0: return 3;
    case DType::Q4_0: return 4;
    case DType::Q4_K: return 5;
    case DType::Q5_K: return 6;
    case DType::Q6_K: return 7;
    default: return -1;
  }
}

}  // namespace detail

namespace {

constexpr int kVariants = 3;

struct Tables {
  std::array<detail::KernelTable, kVariants> table;
};

// Builds the table of every variant this CPU can run. A variant's install function runs only when the CPU
// supports it: the compiler may use that variant's instructions even in the installer.
const Tables& tables() {
  static const Tables all = [] {
    Tables t;
    detail::install_scalar_kernels(t.table[0]);
#ifdef HEARTH_QUANT_X86
    if (variant_available(CpuVariant::kAvx2)) {
      t.table[1] = t.table[0];
      detail::install_avx2_kernels(t.table[1]);
    }
    if (variant_available(CpuVariant::kAvx512)) {
      t.table[2] = t.table[1];
      detail::install_avx512_kernels(t.table[2]);
    }
#endif
    return t;
  }();
  return all;
}

CpuVariant best_variant() {
  CpuVariant best = CpuVariant::kScalar;
  for (CpuVariant v : available_variants()) best = v;
  return best;
}

CpuVariant variant_from_environment() {
  const char* env = std::getenv("HEARTH_CPU");
  return resolve_variant(env == nullptr ? "" : env);
}

std::atomic<int> g_override{-1};

}  // namespace

CpuVariant resolve_variant(std::string_view setting) {
  if (setting.empty() || setting == "auto") return best_variant();
  CpuVariant v;
  require(parse_variant(setting, &v), "HEARTH_CPU={}: expected scalar, avx2, avx512 or auto", setting);
  require(variant_available(v), "HEARTH_CPU={}: this CPU cannot run it (it has: {})", setting,
          cpu_features().describe());
  return v;
}

std::string_view variant_name(CpuVariant v) {
  switch (v) {
    case CpuVariant::kScalar: return "scalar";
    case CpuVariant::kAvx2: return "avx2";
    case CpuVariant::kAvx512: return "avx512";
  }
  return "unknown";
}

bool parse_variant(std::string_view name, CpuVariant* out) {
  for (CpuVariant v : {CpuVariant::kScalar, CpuVariant::kAvx2, CpuVariant::kAvx512}) {
    if (name == variant_name(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool variant_available(CpuVariant v) {
  const CpuFeatures& f = cpu_features();
  switch (v) {
    case CpuVariant::kScalar:
      return true;
#ifdef HEARTH_QUANT_X86
    case CpuVariant::kAvx2:
      return f.avx2 && f.fma && f.f16c;
    case CpuVariant::kAvx512:
      return f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
#endif
    default:
      (void)f;
      return false;
  }
}

std::vector<CpuVariant> available_variants() {
  std::vector<CpuVariant> out;
  for (CpuVariant v : {CpuVariant::kScalar, CpuVariant::kAvx2, CpuVariant::kAvx512})
    if (variant_available(v)) out.push_back(v);
  return out;
}

CpuVariant active_variant() {
  const int forced = g_override.load(std::memory_order_acquire);
  if (forced >= 0) return static_cast<CpuVariant>(forced);
  static const CpuVariant chosen = variant_from_environment();
  return chosen;
}

void set_active_variant(CpuVariant v) {
  require(variant_available(v), "CPU variant {} is not available here (CPU has: {})", variant_name(v),
          cpu_features().describe());
  g_override.store(static_cast<int>(v), std::memory_order_release);
}

bool has_kernels(DType type) { return detail::kernel_slot(type) >= 0; }

const TypeTraits& traits(DType type, CpuVariant v) {
  const int slot = detail::kernel_slot(type);
  require(slot >= 0, "no CPU kernels for tensor type {}", dtype_name(type));
  require(variant_available(v), "CPU variant {} is not available here", variant_name(v));
  return tables().table[static_cast<int>(v)].types[slot];
}

const TypeTraits& traits(DType type) { return traits(type, active_variant()); }

}  // namespace hearth::quant
