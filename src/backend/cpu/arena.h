#pragma once
// Scratch memory for one forward pass: a bump allocator whose chunks survive between passes, so steady
// state decoding allocates nothing. mark()/rewind() free everything allocated since a mark (one layer's
// intermediates), so a pass needs the largest layer's scratch rather than the sum over its layers.
// Not thread-safe (the engine thread allocates; kernels only write).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace hearth::cpu {

class Arena {
 public:
  // n floats, 64-byte aligned, uninitialised; valid until reset().
  float* alloc_floats(std::int64_t n);
  // Forgets every allocation. When the last pass needed several chunks, they are replaced by one chunk
  // large enough for the pass's peak.
  void reset();
  std::size_t capacity_bytes() const;

  struct Mark {
    std::size_t chunk = 0;
    std::size_t used = 0;
    std::size_t live = 0;
  };
  Mark mark() const;
  // Frees every allocation made since `m` (which must be this pass's and not yet rewound past).
  void rewind(const Mark& m);

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  struct Chunk {
    std::unique_ptr<std::byte, FreeDeleter> data;
    std::size_t size = 0;
    std::size_t used = 0;
  };
  static Chunk make_chunk(std::size_t bytes);
  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;     // the chunk allocations come from; later chunks are spare
  std::size_t live_bytes_ = 0;  // bytes allocated and not yet rewound
  std::size_t peak_bytes_ = 0;  // the largest live_bytes_ since the last reset
};

// Per-thread growable buffers for kernels (e.g. weight rows converted to f32, attention scores).
class ThreadScratch {
 public:
  explicit ThreadScratch(int n_threads) : buffers_(static_cast<std::size_t>(n_threads)) {}
  float* get(int thread, std::int64_t n_floats) {
    auto& b = buffers_[static_cast<std::size_t>(thread)];
    if (static_cast<std::int64_t>(b.size()) < n_floats) b.resize(static_cast<std::size_t>(n_floats));
    return b.data();
  }

 private:
  std::vector<std::vector<float>> buffers_;
};

}  // namespace hearth::cpu
