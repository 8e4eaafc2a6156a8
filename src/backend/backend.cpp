#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "util/error.h"

namespace hearth {

std::unique_ptr<Backend> create_backend(const BackendOptions& options) {
  if (options.device == "cpu") return std::make_unique<cpu::CpuBackend>(options.threads);
  fail("unknown compute device '{}' (this build has: cpu)", options.device);
}

}  // namespace hearth
