// PrefixBlockPool (reference counts, prefix registration and lookup, LRU eviction) and KV cache sizing.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "scheduler/block_pool.h"
#include "scheduler/kv_budget.h"
#include "util/error.h"

namespace hearth::scheduler {
namespace {

std::vector<std::int32_t> block_tokens(std::int32_t first, int n = 4) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

TEST(PrefixBlockPool, AllocatesEveryBlockOnceThenRunsOut) {
  PrefixBlockPool pool(3, 4);
  EXPECT_EQ(pool.n_free(), 3);
  auto a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*b, *c);
  EXPECT_FALSE(pool.allocate().has_value());
  EXPECT_EQ(pool.n_free(), 0);
  pool.release(*b);
  EXPECT_EQ(pool.n_free(), 1);
  EXPECT_EQ(pool.allocate(), b);
}

TEST(PrefixBlockPool, RegisteredBlocksAreFoundByContentAndShared) {
  PrefixBlockPool pool(4, 4);
  const auto t0 = block_tokens(10), t1 = block_tokens(20);
  const BlockHash h0 = hash_block(kRootHash, t0), h1 = hash_block(h0, t1);
  auto b0 = *pool.allocate(), b1 = *pool.allocate();
  pool.register_full(b0, h0, kRootHash, t0);
  pool.register_full(b1, h1, h0, t1);
  // While still referenced, a lookup shares the block.
  EXPECT_EQ(pool.acquire_cached(h0, kRootHash, t0), b0);
  EXPECT_EQ(pool.ref_count(b0), 2);
  pool.release(b0);
  pool.release(b0);
  pool.release(b1);
  // Unreferenced but cached: counted as free, still found.
  EXPECT_EQ(pool.n_free(), 4);
  EXPECT_EQ(pool.n_cached(), 2);
  EXPECT_EQ(pool.acquire_cached(h1, h0, t1), b1);
  EXPECT_EQ(pool.n_free(), 3);
  // Same hash but different tokens or parent: no hit.
  EXPECT_FALSE(pool.acquire_cached(h0, kRootHash, block_tokens(11)).has_value());
  EXPECT_FALSE(pool.acquire_cached(h0, h1, t0).has_value());
  EXPECT_FALSE(pool.acquire_cached(hash_block(kRootHash, t1), kRootHash, t1).has_value());
}

TEST(PrefixBlockPool, HashDependsOnTheWholePrefix) {
  const auto t = block_tokens(5);
  EXPECT_NE(hash_block(kRootHash, t), hash_block(hash_block(kRootHash, t), t));
  EXPECT_NE(hash_block(kRootHash, block_tokens(5)), hash_block(kRootHash, block_tokens(6)));
  EXPECT_EQ(hash_block(kRootHash, t), hash_block(kRootHash, block_tokens(5)));
}

TEST(PrefixBlockPool, FreeBlocksGoFirstThenTheLeastRecentlyReleasedCachedBlock) {
  PrefixBlockPool pool(3, 4);
  std::vector<std::int32_t> blocks;
  BlockHash parent = kRootHash;
  for (int i = 0; i < 3; ++i) {
    blocks.push_back(*pool.allocate());
    const auto t = block_tokens(100 * i);
    const BlockHash h = hash_block(parent, t);
    pool.register_full(blocks.back(), h, parent, t);
    parent = h;
  }
  // Released last block first (as the scheduler does): the tail is evicted before the head.
  pool.release(blocks[2]);
  pool.release(blocks[1]);
  pool.release(blocks[0]);
  EXPECT_EQ(pool.n_cached(), 3);
  EXPECT_EQ(pool.allocate(), blocks[2]);
  EXPECT_EQ(pool.n_cached(), 2);
  // The evicted block's content is gone; the head is still there.
  const auto t0 = block_tokens(0);
  const BlockHash h0 = hash_block(kRootHash, t0);
  EXPECT_EQ(pool.acquire_cached(h0, kRootHash, t0), blocks[0]);
  const auto t2 = block_tokens(200);
  const BlockHash h1 = hash_block(h0, block_tokens(100));
  EXPECT_FALSE(pool.acquire_cached(hash_block(h1, t2), h1, t2).has_value());
}

TEST(PrefixBlockPool, DuplicateContentIsRegisteredOnceAndClearCacheFreesCachedBlocks) {
  PrefixBlockPool pool(2, 4);
  const auto t = block_tokens(1);
  const BlockHash h = hash_block(kRootHash, t);
  auto a = *pool.allocate(), b = *pool.allocate();
  pool.register_full(a, h, kRootHash, t);
  pool.register_full(b, h, kRootHash, t);  // same content computed twice: b stays unregistered
  pool.release(b);
  EXPECT_EQ(pool.n_cached(), 0);
  pool.release(a);
  EXPECT_EQ(pool.n_cached(), 1);
  pool.clear_cache();
  EXPECT_EQ(pool.n_cached(), 0);
  EXPECT_EQ(pool.n_free(), 2);
  EXPECT_FALSE(pool.acquire_cached(h, kRootHash, t).has_value());
}

TEST(KvBudget, CapsAtWhatMaxSequencesNeed) {
  KvBudgetInput in;
  in.bytes_per_token = 1024;
  in.block_size = 16;
  in.max_sequences = 4;
  in.context_length = 1000;
  in.memory_share = 0.5;
  in.available_bytes = std::int64_t{1} << 34;  // plenty
  KvBudget b = plan_kv_budget(in);
  EXPECT_EQ(b.n_blocks, 4 * 63);  // ceil(1000 / 16) = 63 blocks per sequence
  EXPECT_EQ(b.context_length, 1000);
  EXPECT_EQ(b.bytes, b.n_blocks * 16 * 1024);
}

TEST(KvBudget, FollowsTheMemoryShare) {
  KvBudgetInput in;
  in.bytes_per_token = 1000;
  in.block_size = 10;
  in.max_sequences = 64;
  in.context_length = 100;
  in.memory_share = 0.25;
  in.available_bytes = 400'000;  // 100'000 bytes of budget = 10 blocks of 10'000
  KvBudget b = plan_kv_budget(in);
  EXPECT_EQ(b.n_blocks, 10);
  EXPECT_EQ(b.context_length, 100);
  // Less than one context: the context shrinks to what the cache holds.
  in.available_bytes = 200'000;
  b = plan_kv_budget(in);
  EXPECT_EQ(b.n_blocks, 5);
  EXPECT_EQ(b.context_length, 50);
  // Not even one block: an error that says what to change.
  in.available_bytes = 1000;
  EXPECT_THROW(plan_kv_budget(in), Error);
  in.memory_share = 1.5;
  EXPECT_THROW(plan_kv_budget(in), Error);
}

TEST(KvBudget, ExactSizeForTests) {
  KvBudgetInput in;
  in.bytes_per_token = 8;
  in.block_size = 16;
  in.max_sequences = 1;
  in.context_length = 4096;
  in.exact_tokens = 100;
  KvBudget b = plan_kv_budget(in);
  EXPECT_EQ(b.n_blocks, 7);
  EXPECT_EQ(b.context_length, 4096);
}

TEST(KvBudget, ReadsAvailableMemory) { EXPECT_GT(available_memory_bytes(), 0); }

}  // namespace
}  // namespace hearth::scheduler
