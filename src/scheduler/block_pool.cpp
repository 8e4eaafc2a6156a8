#include "scheduler/block_pool.h"

#include <algorithm>
#include <cassert>

#include "util/error.h"

namespace hearth::scheduler {

namespace {
// splitmix64's finaliser: a cheap, well-mixed 64-bit permutation.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
}  // namespace

BlockHash hash_block(BlockHash parent, std::span<const std::int32_t> tokens) {
  std::uint64_t h = mix(parent ^ 0x5851f42d4c957f2dULL);
  for (std::int32_t t : tokens)
    h = mix(h ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(t)) + 0x632be59bd9b4e019ULL));
  return mix(h ^ tokens.size());
}

PrefixBlockPool::PrefixBlockPool(std::int64_t n_blocks, std::int32_t block_size)
    : block_size_(block_size), blocks_(static_cast<std::size_t>(n_blocks)) {
  require(n_blocks > 0 && n_blocks <= INT32_MAX, "KV cache: {} blocks is out of range", n_blocks);
  require(block_size > 0, "KV cache: block size must be positive");
  tokens_.resize(static_cast<std::size_t>(n_blocks) * static_cast<std::size_t>(block_size));
  free_list_.reserve(static_cast<std::size_t>(n_blocks));
  for (std::int64_t b = n_blocks - 1; b >= 0; --b) free_list_.push_back(static_cast<std::int32_t>(b));
  n_free_ = n_blocks;
}

std::optional<std::int32_t> PrefixBlockPool::allocate() {
  std::int32_t b;
  if (!free_list_.empty()) {
    b = free_list_.back();
    free_list_.pop_back();
    --n_free_;
  } else if (!lru_.empty()) {
    b = lru_.front();
    lru_.pop_front();
    drop_registration(b);
  } else {
    return std::nullopt;
  }
  blocks_[static_cast<std::size_t>(b)].refs = 1;
  return b;
}

void PrefixBlockPool::release(std::int32_t block) {
  Block& blk = blocks_[static_cast<std::size_t>(block)];
  assert(blk.refs > 0);
  if (--blk.refs > 0) return;
  if (blk.registered) {
    blk.lru_pos = lru_.insert(lru_.end(), block);
  } else {
    free_list_.push_back(block);
    ++n_free_;
  }
}

std::optional<std::int32_t> PrefixBlockPool::acquire_cached(BlockHash hash, BlockHash parent,
                                                            std::span<const std::int32_t> tokens) {
  if (static_cast<std::int32_t>(tokens.size()) != block_size_) return std::nullopt;
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  const std::int32_t b = it->second;
  Block& blk = blocks_[static_cast<std::size_t>(b)];
  const auto stored = tokens_.begin() + static_cast<std::ptrdiff_t>(b) * block_size_;
  if (blk.parent != parent || !std::equal(tokens.begin(), tokens.end(), stored)) return std::nullopt;
  if (blk.refs == 0) lru_.erase(blk.lru_pos);
  ++blk.refs;
  return b;
}

void PrefixBlockPool::register_full(std::int32_t block, BlockHash hash, BlockHash parent,
                                    std::span<const std::int32_t> tokens) {
  Block& blk = blocks_[static_cast<std::size_t>(block)];
  assert(blk.refs > 0);
  if (blk.registered || static_cast<std::int32_t>(tokens.size()) != block_size_ || by_hash_.count(hash)) return;
  blk.registered = true;
  blk.hash = hash;
  blk.parent = parent;
  std::copy(tokens.begin(), tokens.end(), tokens_.begin() + static_cast<std::ptrdiff_t>(block) * block_size_);
  by_hash_.emplace(hash, block);
}

void PrefixBlockPool::drop_registration(std::int32_t block) {
  Block& blk = blocks_[static_cast<std::size_t>(block)];
  if (!blk.registered) return;
  auto it = by_hash_.find(blk.hash);
  if (it != by_hash_.end() && it->second == block) by_hash_.erase(it);
  blk.registered = false;
}

void PrefixBlockPool::clear_cache() {
  for (std::int32_t b : lru_) {
    drop_registration(b);
    free_list_.push_back(b);
    ++n_free_;
  }
  lru_.clear();
  for (std::size_t b = 0; b < blocks_.size(); ++b) drop_registration(static_cast<std::int32_t>(b));
}

}  // namespace hearth::scheduler
