#include "model/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

#include "util/error.h"

namespace hearth {

FreeListAllocator::FreeListAllocator(std::int64_t n_blocks) : n_total_(n_blocks) {
  free_.reserve(static_cast<std::size_t>(n_blocks));
  // LIFO with low ids on top: a fresh cache fills blocks 0, 1, 2, ...
  for (std::int64_t b = n_blocks - 1; b >= 0; --b) free_.push_back(static_cast<std::int32_t>(b));
}

std::optional<std::int32_t> FreeListAllocator::allocate() {
  if (free_.empty()) return std::nullopt;
  std::int32_t b = free_.back();
  free_.pop_back();
  return b;
}

void FreeListAllocator::release(std::int32_t block) {
  assert(block >= 0 && block < n_total_);
  free_.push_back(block);
}

KvCache::KvCache(Backend& backend, KvLayout layout, const KvCacheOptions& options,
                 std::unique_ptr<BlockAllocator> allocator)
    : block_size_(options.block_size), allocator_(std::move(allocator)) {
  require(options.block_size > 0, "KV cache: block size must be positive");
  require(options.n_blocks > 0 && options.n_blocks <= INT32_MAX, "KV cache: {} blocks is out of range",
          options.n_blocks);
  if (!allocator_) allocator_ = std::make_unique<FreeListAllocator>(options.n_blocks);
  require(allocator_->n_total() == options.n_blocks, "KV cache: allocator has {} blocks, expected {}",
          allocator_->n_total(), options.n_blocks);
  layout.n_slots = options.n_blocks * options.block_size;
  storage_ = backend.create_kv_storage(layout);
}

KvCache::~KvCache() = default;

KvCache::Sequence& KvCache::get(SeqId seq) {
  auto it = seqs_.find(seq);
  require(it != seqs_.end(), "sequence {} is not in the KV cache", seq);
  return it->second;
}

const KvCache::Sequence& KvCache::get(SeqId seq) const {
  auto it = seqs_.find(seq);
  require(it != seqs_.end(), "sequence {} is not in the KV cache", seq);
  return it->second;
}

void KvCache::add_sequence(SeqId seq) {
  require(seqs_.emplace(seq, Sequence{}).second, "sequence {} is already in the KV cache", seq);
}

void KvCache::free_sequence(SeqId seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  for (std::int32_t b : it->second.blocks) allocator_->release(b);
  seqs_.erase(it);
}

void KvCache::truncate(SeqId seq, std::int64_t n_tokens) {
  Sequence& s = get(seq);
  require(n_tokens >= 0 && n_tokens <= s.length, "cannot truncate sequence {} of {} tokens to {}", seq, s.length,
          n_tokens);
  const std::size_t keep = static_cast<std::size_t>((n_tokens + block_size_ - 1) / block_size_);
  while (s.blocks.size() > keep) {
    allocator_->release(s.blocks.back());
    s.blocks.pop_back();
  }
  s.length = n_tokens;
}

std::int64_t KvCache::length(SeqId seq) const { return get(seq).length; }

std::int64_t KvCache::blocks_needed(SeqId seq, std::int64_t n_tokens) const {
  const Sequence& s = get(seq);
  std::int64_t want = (n_tokens + block_size_ - 1) / block_size_;
  return std::max<std::int64_t>(0, want - static_cast<std::int64_t>(s.blocks.size()));
}

void KvCache::reserve(SeqId seq, std::int64_t n_tokens) {
  std::int64_t need = blocks_needed(seq, n_tokens);
  require(need <= allocator_->n_free(), "KV cache is full: sequence {} needs {} more blocks of {} tokens, {} free", seq,
          need, block_size_, allocator_->n_free());
  Sequence& s = get(seq);
  for (std::int64_t i = 0; i < need; ++i) {
    auto b = allocator_->allocate();
    require(b.has_value(), "KV cache is full");
    s.blocks.push_back(*b);
  }
}

void KvCache::attach_blocks(SeqId seq, std::span<const std::int32_t> blocks) {
  Sequence& s = get(seq);
  require(s.blocks.empty() && s.length == 0, "sequence {} already holds blocks", seq);
  for (std::int32_t b : blocks) require(b >= 0 && b < n_blocks(), "KV cache block {} is out of range", b);
  s.blocks.assign(blocks.begin(), blocks.end());
  s.length = static_cast<std::int64_t>(blocks.size()) * block_size_;
}

std::vector<SeqId> KvCache::sequences() const {
  std::vector<SeqId> out;
  for (const auto& [id, s] : seqs_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

double KvCache::usage() const { return 1.0 - static_cast<double>(n_free_blocks()) / static_cast<double>(n_blocks()); }

std::span<const std::int32_t> KvCache::block_table(SeqId seq) const { return get(seq).blocks; }

std::int64_t KvCache::slot(SeqId seq, std::int64_t pos) const {
  const Sequence& s = get(seq);
  const std::size_t b = static_cast<std::size_t>(pos / block_size_);
  assert(pos >= 0 && b < s.blocks.size());
  return static_cast<std::int64_t>(s.blocks[b]) * block_size_ + pos % block_size_;
}

void KvCache::set_length(SeqId seq, std::int64_t n_tokens) {
  Sequence& s = get(seq);
  require(n_tokens >= 0 && n_tokens <= static_cast<std::int64_t>(s.blocks.size()) * block_size_,
          "sequence {}: length {} exceeds its reserved blocks", seq, n_tokens);
  s.length = n_tokens;
}

}  // namespace hearth
