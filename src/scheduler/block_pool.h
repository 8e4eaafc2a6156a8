#pragma once
// The KV cache's block pool with a prefix cache: blocks are reference-counted, and a block whose tokens
// are all computed can be registered under a hash of its content and of everything before it (the hash of
// the previous block), so that a later sequence with the same prefix attaches it instead of recomputing it.
//
// A block is in one of three states:
//   free        no references, no cached content
//   cached      no references, content registered: reusable by a prefix hit, evictable (least recently
//               released first) when a fresh block is needed
//   in use      referenced by one or more sequences (shared when a prefix cache hit attached it)
// n_free() counts free and cached blocks: both are available to allocate().
//
// Content hashes are 64-bit; a lookup also compares the block's stored tokens and parent hash, so a hit is
// a real match unless two different prefixes collide on the 64-bit parent hash.
//
// Thread safety: none; the engine thread owns the pool (through the KvCache).
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/kv_cache.h"

namespace hearth::scheduler {

using BlockHash = std::uint64_t;

// The hash chained over a sequence's blocks: block i's hash covers block i's tokens and block i-1's hash.
BlockHash hash_block(BlockHash parent, std::span<const std::int32_t> tokens);
inline constexpr BlockHash kRootHash = 0x9e3779b97f4a7c15ULL;  // the "parent" of a sequence's first block

class PrefixBlockPool final : public BlockAllocator {
 public:
  PrefixBlockPool(std::int64_t n_blocks, std::int32_t block_size);

  // --- BlockAllocator (called by KvCache) ---
  // A free block if any, else the least recently released cached block (its cached content is dropped).
  // The block returned has one reference.
  std::optional<std::int32_t> allocate() override;
  // Drops one reference; an unreferenced block becomes cached (content registered) or free.
  void release(std::int32_t block) override;
  std::int64_t n_free() const override { return n_free_ + static_cast<std::int64_t>(lru_.size()); }
  std::int64_t n_total() const override { return static_cast<std::int64_t>(blocks_.size()); }

  // --- prefix cache (called by the scheduler) ---
  // The block holding exactly `tokens` after the prefix whose last block hash is `parent`, with one more
  // reference taken; nullopt when none is cached.
  std::optional<std::int32_t> acquire_cached(BlockHash hash, BlockHash parent, std::span<const std::int32_t> tokens);
  // Records that the referenced block `block` holds `tokens` (a whole block) after the prefix `parent`.
  // No-op when the block is already registered or another block already holds this content.
  void register_full(std::int32_t block, BlockHash hash, BlockHash parent, std::span<const std::int32_t> tokens);
  // Forgets every cached content (cached blocks become free); blocks in use keep their references.
  void clear_cache();

  int ref_count(std::int32_t block) const { return blocks_[static_cast<std::size_t>(block)].refs; }
  std::int64_t n_in_use() const { return n_total() - n_free(); }
  std::int64_t n_cached() const { return static_cast<std::int64_t>(lru_.size()); }
  std::int32_t block_size() const { return block_size_; }

 private:
  struct Block {
    int refs = 0;
    bool registered = false;
    BlockHash hash = 0;
    BlockHash parent = 0;
    std::list<std::int32_t>::iterator lru_pos;  // valid while cached (registered, unreferenced)
  };
  void drop_registration(std::int32_t block);

  std::int32_t block_size_;
  std::vector<Block> blocks_;
  std::vector<std::int32_t> tokens_;     // block_size tokens per registered block
  std::vector<std::int32_t> free_list_;  // LIFO, low ids on top
  std::int64_t n_free_ = 0;              // == free_list_.size()
  std::list<std::int32_t> lru_;          // cached blocks, least recently released first
  std::unordered_map<BlockHash, std::int32_t> by_hash_;
};

}  // namespace hearth::scheduler
