#pragma once
// The CPU backend: weights are zero-copy views into the memory-mapped files, activations live in a
// per-pass arena, work is spread over the backend's own thread pool.
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/arena.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/kernels.h"
#include "util/thread_pool.h"

namespace hearth::cpu {

class CpuBackend final : public Backend {
 public:
  // n_threads <= 0: one per core. `kernels` defaults to the best table for this CPU.
  explicit CpuBackend(int n_threads = 0, const Kernels* kernels = nullptr);

  std::string name() const override;
  int threads() const { return pool_.size(); }
  const Kernels& kernels() const { return kernels_; }

  Weight bind(const TensorView& view) override;
  std::unique_ptr<KvStorage> create_kv_storage(const KvLayout& layout) override;
  void begin_forward(const ForwardPlan& plan) override;
  void begin_scope() override;
  void end_scope() override;

  Tensor embed(const Weight& table) override;
  Tensor rms_norm(const Tensor& x, const Weight& w, float eps) override;
  Tensor matmul(const Tensor& x, const Weight& w, const Weight& bias) override;
  void rope(Tensor& x, std::int64_t head_dim, float theta) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, KvStorage& kv, std::int64_t layer,
                   const AttentionShape& shape) override;
  void add(Tensor& x, const Tensor& y) override;
  Tensor swiglu(const Tensor& gate, const Tensor& up) override;
  Tensor moe(const Tensor& x, const Weight& router, const ExpertWeights& experts, const MoeParams& params) override;
  Tensor gather_rows(const Tensor& x, std::span<const std::int32_t> rows) override;
  void read(const Tensor& x, float* dst) override;

 private:
  Tensor alloc(std::int64_t rows, std::int64_t cols);
  // A {1, n} vector weight as f32 (converted into the arena when stored as 16-bit).
  const float* vector_f32(const Weight& w);
  // Runs fn(row_begin, row_end) over [0, rows), on the pool when the work is worth waking it.
  template <typename Fn>
  void for_rows(std::int64_t rows, std::int64_t cost_per_row, Fn&& fn);

  ThreadPool pool_;
  const Kernels& kernels_;
  ThreadScratch scratch_;
  Arena arena_;
  std::vector<Arena::Mark> scopes_;
  const ForwardPlan* plan_ = nullptr;
  RopeTable rope_;
  bool rope_valid_ = false;
};

}  // namespace hearth::cpu
