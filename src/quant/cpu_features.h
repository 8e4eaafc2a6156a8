#pragma once
// What the CPU and the OS support, read once with cpuid/xgetbv (an instruction set counts only when the OS
// also saves its registers on context switches).
#include <string>

namespace hearth::quant {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;

  // "avx2 fma f16c avx512f ..." (the present ones), for logs and error messages.
  std::string describe() const;
};

const CpuFeatures& cpu_features();

}  // namespace hearth::quant
