// The CPU backend's per-pass scratch arena: marks free a layer's intermediates, memory is reused, and
// what was allocated before a mark is never handed out again while the mark is live.
#include "backend/cpu/arena.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hearth::cpu {
namespace {

TEST(Arena, RewindReusesTheSameMemory) {
  Arena arena;
  float* before = arena.alloc_floats(100);
  const Arena::Mark mark = arena.mark();
  float* first = arena.alloc_floats(1000);
  arena.rewind(mark);
  float* second = arena.alloc_floats(1000);
  EXPECT_EQ(first, second);
  EXPECT_NE(before, second);
}

TEST(Arena, KeepsAllocationsMadeBeforeTheMarkIntact) {
  Arena arena;
  float* keep = arena.alloc_floats(256);
  for (int i = 0; i < 256; ++i) keep[i] = static_cast<float>(i);
  for (int layer = 0; layer < 8; ++layer) {
    const Arena::Mark mark = arena.mark();
    // Larger than the first chunk (1 MiB): spills into further chunks, which rewind leaves as spares.
    float* big = arena.alloc_floats(600'000);
    float* small = arena.alloc_floats(10);
    for (std::int64_t i = 0; i < 600'000; ++i) big[i] = -1.0f;
    small[0] = -2.0f;
    arena.rewind(mark);
  }
  for (int i = 0; i < 256; ++i) ASSERT_EQ(keep[i], static_cast<float>(i));
}

TEST(Arena, PeakNotSumDecidesTheSizeAfterReset) {
  Arena arena;
  for (int pass = 0; pass < 3; ++pass) {
    arena.reset();
    for (int layer = 0; layer < 24; ++layer) {
      const Arena::Mark mark = arena.mark();
      arena.alloc_floats(1 << 20);  // 4 MiB per layer, 96 MiB if layers were summed
      arena.rewind(mark);
    }
  }
  EXPECT_LT(arena.capacity_bytes(), std::size_t{16} << 20);
  EXPECT_GE(arena.capacity_bytes(), std::size_t{4} << 20);
}

TEST(Arena, AllocationsAre64ByteAligned) {
  Arena arena;
  for (int n : {1, 3, 17, 1000}) {
    auto address = reinterpret_cast<std::uintptr_t>(arena.alloc_floats(n));
    EXPECT_EQ(address % 64, 0u);
  }
}

}  // namespace
}  // namespace hearth::cpu
