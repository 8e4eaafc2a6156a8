// Block bookkeeping of the paged KV cache.
#include "model/kv_cache.h"

#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "util/error.h"

namespace hearth {
namespace {

KvLayout layout() { return KvLayout{2, 0, 2, 8}; }

class KvCacheTest : public ::testing::Test {
 protected:
  cpu::CpuBackend backend_{1};
};

TEST_F(KvCacheTest, ReservesWholeBlocksAndMapsSlots) {
  KvCache cache(backend_, layout(), {.n_blocks = 6, .block_size = 4});
  EXPECT_EQ(cache.capacity_tokens(), 24);
  EXPECT_EQ(cache.storage().layout().n_slots, 24);
  EXPECT_EQ(cache.storage_bytes(), 2 * 2 * 24 * 16 * 4);
  cache.add_sequence(7);
  EXPECT_EQ(cache.blocks_needed(7, 9), 3);
  cache.reserve(7, 9);
  EXPECT_EQ(cache.block_table(7).size(), 3u);
  EXPECT_EQ(cache.n_free_blocks(), 3);
  EXPECT_DOUBLE_EQ(cache.usage(), 0.5);
  cache.reserve(7, 12);  // still 3 blocks
  EXPECT_EQ(cache.n_free_blocks(), 3);
  auto table = cache.block_table(7);
  EXPECT_EQ(cache.slot(7, 0), table[0] * 4);
  EXPECT_EQ(cache.slot(7, 6), table[1] * 4 + 2);
  EXPECT_EQ(cache.slot(7, 11), table[2] * 4 + 3);
  cache.set_length(7, 12);
  EXPECT_EQ(cache.length(7), 12);
  EXPECT_THROW(cache.set_length(7, 13), Error);
}

TEST_F(KvCacheTest, TruncateAndFreeReturnBlocks) {
  KvCache cache(backend_, layout(), {.n_blocks = 4, .block_size = 4});
  cache.add_sequence(1);
  cache.add_sequence(2);
  cache.reserve(1, 10);
  cache.set_length(1, 10);
  cache.reserve(2, 4);
  EXPECT_EQ(cache.n_free_blocks(), 0);
  cache.truncate(1, 5);  // positions 0..4 stay: 2 blocks
  EXPECT_EQ(cache.length(1), 5);
  EXPECT_EQ(cache.block_table(1).size(), 2u);
  EXPECT_EQ(cache.n_free_blocks(), 1);
  EXPECT_THROW(cache.truncate(1, 6), Error);
  cache.truncate(1, 0);
  EXPECT_EQ(cache.block_table(1).size(), 0u);
  cache.free_sequence(2);
  EXPECT_FALSE(cache.has_sequence(2));
  EXPECT_EQ(cache.n_free_blocks(), 4);
  cache.free_sequence(2);  // no-op
  EXPECT_EQ(cache.sequences(), std::vector<SeqId>{1});
}

TEST_F(KvCacheTest, RefusesWhenFullWithoutPartialAllocation) {
  KvCache cache(backend_, layout(), {.n_blocks = 3, .block_size = 4});
  cache.add_sequence(1);
  cache.add_sequence(2);
  cache.reserve(1, 8);
  try {
    cache.reserve(2, 8);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "KV cache is full: sequence 2 needs 2 more blocks of 4 tokens, 1 free");
  }
  EXPECT_EQ(cache.block_table(2).size(), 0u);
  EXPECT_EQ(cache.n_free_blocks(), 1);
}

TEST_F(KvCacheTest, SequenceErrors) {
  KvCache cache(backend_, layout(), {.n_blocks = 2, .block_size = 4});
  cache.add_sequence(3);
  EXPECT_THROW(cache.add_sequence(3), Error);
  EXPECT_THROW(cache.length(4), Error);
  EXPECT_THROW(cache.reserve(4, 1), Error);
  EXPECT_THROW(KvCache(backend_, layout(), {.n_blocks = 0, .block_size = 4}), Error);
  EXPECT_THROW(KvCache(backend_, layout(), {.n_blocks = 2, .block_size = 0}), Error);
}

// A scheduler can substitute its own allocation policy.
class CountingAllocator final : public BlockAllocator {
 public:
  std::optional<std::int32_t> allocate() override {
    ++allocations;
    return inner.allocate();
  }
  void release(std::int32_t b) override {
    ++releases;
    inner.release(b);
  }
  std::int64_t n_free() const override { return inner.n_free(); }
  std::int64_t n_total() const override { return inner.n_total(); }
  FreeListAllocator inner{5};
  int allocations = 0, releases = 0;
};

TEST_F(KvCacheTest, UsesTheGivenAllocator) {
  auto alloc = std::make_unique<CountingAllocator>();
  CountingAllocator* a = alloc.get();
  KvCache cache(backend_, layout(), {.n_blocks = 5, .block_size = 2}, std::move(alloc));
  cache.add_sequence(0);
  cache.reserve(0, 5);
  cache.free_sequence(0);
  EXPECT_EQ(a->allocations, 3);
  EXPECT_EQ(a->releases, 3);
}

}  // namespace
}  // namespace hearth
