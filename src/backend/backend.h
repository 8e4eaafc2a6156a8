#pragma once
// The compute interface architecture code is written against (llama.cpp's "builder" idea): models call
// ops such as rms_norm / matmul / rope / attention / swiglu / moe on opaque activation tensors and never
// see the device, the kernels or the KV-cache memory layout. A backend (cpu/ now, cuda/ later) binds
// weights once and implements the ops.
//
// Execution model: eager. Each op runs (or, on a GPU, is enqueued) when called and returns a new tensor
// from the backend's per-forward scratch memory. begin_forward() starts a forward pass: it receives the
// batch description (ForwardPlan) that rope and attention use implicitly, and invalidates every tensor
// of the previous pass. read() copies a tensor to host memory and waits for it.
//
// Numerics contract: activations are f32; every reduction accumulates in f32; the result of an op for
// one row never depends on the other rows of the batch (batch invariance: a token gives bit-identical
// logits alone or in any batch, prefilled or decoded).
//
// Thread safety: one thread drives a backend (the engine thread). Backends parallelise internally.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/tensor_view.h"

namespace hearth {

// An activation: f32, row-major {rows, cols}, in the backend's memory (host for CPU, device for a GPU).
// Valid until the next begin_forward(). Model code passes tensors between ops and never dereferences
// `data`.
struct Tensor {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  float* data = nullptr;
};

// A weight bound to a backend: {rows, cols} in the file's dtype; a Linear weight is {out, in}, a vector
// (norm weight, bias) is {1, n}. The memory belongs to the backend (CPU: a zero-copy view into the
// memory-mapped file). An empty Weight (data == nullptr) means "absent" (e.g. no bias).
struct Weight {
  std::string name;
  DType dtype = DType::F32;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  const void* data = nullptr;

  explicit operator bool() const { return data != nullptr; }
};

// The experts of one MoE layer: gate/up {expert_ffn, hidden} and down {hidden, expert_ffn} per expert.
struct ExpertWeights {
  std::vector<Weight> gate;
  std::vector<Weight> up;
  std::vector<Weight> down;
};

struct AttentionShape {
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;  // n_heads % n_kv_heads == 0 (GQA)
  std::int64_t head_dim = 0;
  float scale = 1.0f;  // usually 1 / sqrt(head_dim)
};

struct MoeParams {
  std::int64_t n_experts_used = 0;  // top-k
  bool normalize_top_k = true;      // renormalise the k routing weights to sum to 1
};

// Geometry of a KV cache's storage: `n_slots` token slots per layer (n_blocks * block_size), each slot
// holding n_kv_heads * head_dim values of K and the same of V.
struct KvLayout {
  std::int64_t n_layers = 0;
  std::int64_t n_slots = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t head_dim = 0;
  // Element type of the stored K and V: F32, or F16 (half the memory; K and V rounded to f16 as they are
  // stored, as llama.cpp's default cache does).
  DType type = DType::F32;

  std::int64_t kv_dim() const { return n_kv_heads * head_dim; }
};

// K/V memory owned by a backend. Only the backend reads or writes it (through attention()); the
// bookkeeping of which slot holds what lives in model/kv_cache.h.
class KvStorage {
 public:
  explicit KvStorage(KvLayout layout) : layout_(layout) {}
  virtual ~KvStorage() = default;
  KvStorage(const KvStorage&) = delete;
  KvStorage& operator=(const KvStorage&) = delete;

  const KvLayout& layout() const { return layout_; }
  virtual std::int64_t bytes() const = 0;

 private:
  KvLayout layout_;
};

// What one forward pass computes, in batch order. Built by Model::forward from a Batch and the KV cache.
// Token t of sequence seq_blocks[seq_of_token[t]] sits at `positions[t]`; its K/V go to slot
// kv_slots[t]; it attends to positions 0..positions[t] of its sequence, whose slot for position j is
// block_table[j / kv_block_size] * kv_block_size + j % kv_block_size.
struct ForwardPlan {
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> positions;
  std::vector<std::int64_t> kv_slots;
  std::vector<std::int32_t> seq_of_token;
  std::vector<std::vector<std::int32_t>> seq_blocks;  // block table of each sequence in the batch
  std::int32_t kv_block_size = 0;
  std::vector<std::int32_t> output_rows;  // batch rows whose logits are wanted, ascending

  std::int64_t n_tokens() const { return static_cast<std::int64_t>(tokens.size()); }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // --- weights ---------------------------------------------------------------------------------
  // Binds a weight as stored in the file (1-D views become {1, n}). Throws hearth::Error when the
  // backend cannot compute with its dtype. The view's memory must outlive the backend's use of it.
  virtual Weight bind(const TensorView& view) = 0;

  // --- KV memory ---------------------------------------------------------------------------------
  virtual std::unique_ptr<KvStorage> create_kv_storage(const KvLayout& layout) = 0;

  // --- one forward pass ------------------------------------------------------------------------
  // Starts a pass over `plan` (which must stay alive until the pass's last op); tensors of the
  // previous pass become invalid.
  virtual void begin_forward(const ForwardPlan& plan) = 0;
  // Scratch scopes: tensors made after begin_scope() are freed by the matching end_scope(); tensors made
  // before it (the residual stream) stay valid. Model code brackets each layer, so a pass holds one layer's
  // intermediates instead of every layer's (a 512-token prefill of a 24-layer MoE: 3 GB otherwise).
  virtual void begin_scope() = 0;
  virtual void end_scope() = 0;

  // Rows of `table` ({vocab, hidden}) for plan.tokens, as f32: {n_tokens, hidden}.
  virtual Tensor embed(const Weight& table) = 0;
  // RMSNorm over each contiguous group of w.cols values (w.cols == x.cols for a hidden-state norm;
  // w.cols == head_dim for Qwen3's per-head q/k norm): y = w * x / sqrt(mean(x^2) + eps).
  virtual Tensor rms_norm(const Tensor& x, const Weight& w, float eps) = 0;
  // y = x * w^T (+ bias): x {n, in}, w {out, in}, bias {1, out} or empty -> {n, out}.
  virtual Tensor matmul(const Tensor& x, const Weight& w, const Weight& bias = {}) = 0;
  // Rotary position embedding, NeoX (rotate-half) form, in place: x {n_tokens, heads * head_dim},
  // positions from the plan, frequencies theta^(-2i/head_dim).
  virtual void rope(Tensor& x, std::int64_t head_dim, float theta) = 0;
  // Writes k and v ({n_tokens, kv_heads * head_dim}) into `kv` for `layer` at the plan's slots, then
  // returns causal attention of q ({n_tokens, heads * head_dim}) over each token's sequence:
  // {n_tokens, heads * head_dim}. Softmax is max-subtracted, in f32.
  virtual Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, KvStorage& kv, std::int64_t layer,
                           const AttentionShape& shape) = 0;
  // x += y (same shape).
  virtual void add(Tensor& x, const Tensor& y) = 0;
  // silu(gate) * up, elementwise.
  virtual Tensor swiglu(const Tensor& gate, const Tensor& up) = 0;
  // Mixture-of-experts SwiGLU FFN: router logits x * router^T, softmax over all experts (f32), top-k,
  // optional renormalisation, then sum_k weight_k * down_k(silu(gate_k x) * up_k x). Tokens routed to
  // the same expert are computed together, so each expert's weights are read once per call.
  virtual Tensor moe(const Tensor& x, const Weight& router, const ExpertWeights& experts, const MoeParams& params) = 0;
  // The given rows of x, in order: {rows.size(), x.cols}.
  virtual Tensor gather_rows(const Tensor& x, std::span<const std::int32_t> rows) = 0;
  // Copies x (rows * cols floats) to host memory at dst.
  virtual void read(const Tensor& x, float* dst) = 0;
};

// Brackets a block of ops with begin_scope()/end_scope().
class ScratchScope {
 public:
  explicit ScratchScope(Backend& backend) : backend_(backend) { backend_.begin_scope(); }
  ~ScratchScope() { backend_.end_scope(); }
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;

 private:
  Backend& backend_;
};

struct BackendOptions {
  std::string device = "cpu";  // "cpu" (a "cuda" backend follows)
  int threads = 0;             // CPU worker threads; <= 0 picks the number of cores
};

// Creates the backend named by options.device. Throws hearth::Error for an unknown device.
std::unique_ptr<Backend> create_backend(const BackendOptions& options);

}  // namespace hearth
