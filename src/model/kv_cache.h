#pragma once
// Paged KV cache: token slots come in fixed-size blocks from a pool; each sequence owns a block table
// (its i-th block holds positions [i * block_size, (i + 1) * block_size)). The K/V memory itself is a
// backend KvStorage; this class only does the bookkeeping, so the same cache drives every backend.
//
// It lives in model/ because Model::forward reads block tables; the engine's scheduler (later: prefix
// caching, preemption) drives the management half and may substitute the BlockAllocator.
//
// Thread safety: none; the engine thread owns the cache.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"

namespace hearth {

using SeqId = std::int32_t;

// Hands out block ids in [0, n_total()). The default is a LIFO free list; a scheduler may plug in a
// policy of its own (e.g. reference-counted blocks shared by a prefix cache).
class BlockAllocator {
 public:
  virtual ~BlockAllocator() = default;
  virtual std::optional<std::int32_t> allocate() = 0;
  virtual void release(std::int32_t block) = 0;
  virtual std::int64_t n_free() const = 0;
  virtual std::int64_t n_total() const = 0;
};

class FreeListAllocator final : public BlockAllocator {
 public:
  explicit FreeListAllocator(std::int64_t n_blocks);
  std::optional<std::int32_t> allocate() override;
  void release(std::int32_t block) override;
  std::int64_t n_free() const override { return static_cast<std::int64_t>(free_.size()); }
  std::int64_t n_total() const override { return n_total_; }

 private:
  std::int64_t n_total_;
  std::vector<std::int32_t> free_;
};

struct KvCacheOptions {
  std::int64_t n_blocks = 0;
  std::int32_t block_size = 16;  // tokens per block
};

class KvCache {
 public:
  // Allocates the K/V storage for `layout.n_layers` layers of options.n_blocks * options.block_size slots
  // (layout.n_slots is filled in here). `allocator` defaults to a FreeListAllocator over the blocks.
  KvCache(Backend& backend, KvLayout layout, const KvCacheOptions& options,
          std::unique_ptr<BlockAllocator> allocator = nullptr);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  // --- cache management (engine / scheduler) ----------------------------------------------------
  // Registers an empty sequence. Throws hearth::Error if `seq` already exists.
  void add_sequence(SeqId seq);
  bool has_sequence(SeqId seq) const { return seqs_.count(seq) != 0; }
  // Releases the sequence's blocks and forgets it (no-op when absent).
  void free_sequence(SeqId seq);
  // Keeps the first n_tokens positions (n_tokens <= length) and releases the blocks past them.
  void truncate(SeqId seq, std::int64_t n_tokens);
  // Tokens stored for the sequence (the next position to compute).
  std::int64_t length(SeqId seq) const;
  // Blocks the sequence still needs to hold n_tokens tokens in total.
  std::int64_t blocks_needed(SeqId seq, std::int64_t n_tokens) const;
  // Allocates blocks so the sequence can hold n_tokens tokens. Throws hearth::Error (allocating
  // nothing) when the pool has too few free blocks.
  void reserve(SeqId seq, std::int64_t n_tokens);
  // Gives an empty sequence (no blocks) the given full blocks as its first blocks, holding
  // blocks.size() * block_size tokens computed earlier (a prefix cache hit). The caller has already
  // taken a reference to each block in the allocator; the cache releases them like its own.
  void attach_blocks(SeqId seq, std::span<const std::int32_t> blocks);
  std::vector<SeqId> sequences() const;

  std::int32_t block_size() const { return block_size_; }
  std::int64_t n_blocks() const { return allocator_->n_total(); }
  std::int64_t n_free_blocks() const { return allocator_->n_free(); }
  // Tokens the cache can hold in total.
  std::int64_t capacity_tokens() const { return n_blocks() * block_size_; }
  // Share of blocks in use, 0..1.
  double usage() const;
  std::int64_t storage_bytes() const { return storage_->bytes(); }

  // --- used by models ---------------------------------------------------------------------------
  const KvLayout& layout() const { return storage_->layout(); }
  KvStorage& storage() { return *storage_; }
  // The sequence's block table (blocks for positions 0, block_size, 2 * block_size, ...).
  std::span<const std::int32_t> block_table(SeqId seq) const;
  // The slot of (seq, pos); pos must be covered by the block table.
  std::int64_t slot(SeqId seq, std::int64_t pos) const;
  // Records that the sequence now holds `n_tokens` tokens (after a forward pass filled them);
  // n_tokens must be covered by reserved blocks.
  void set_length(SeqId seq, std::int64_t n_tokens);

 private:
  struct Sequence {
    std::vector<std::int32_t> blocks;
    std::int64_t length = 0;
  };
  Sequence& get(SeqId seq);
  const Sequence& get(SeqId seq) const;

  std::int32_t block_size_;
  std::unique_ptr<BlockAllocator> allocator_;
  std::unique_ptr<KvStorage> storage_;
  std::unordered_map<SeqId, Sequence> seqs_;
};

}  // namespace hearth
