#include "backend/cpu/arena.h"

#include <cstdlib>
#include <new>

namespace hearth::cpu {
namespace {
constexpr std::size_t kAlign = 64;
constexpr std::size_t kMinChunk = std::size_t{1} << 20;
std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }
}  // namespace

void Arena::FreeDeleter::operator()(void* p) const { std::free(p); }

Arena::Chunk Arena::make_chunk(std::size_t bytes) {
  Chunk c;
  c.size = round_up(bytes < kMinChunk ? kMinChunk : bytes, kAlign);
  void* p = std::aligned_alloc(kAlign, c.size);
  if (p == nullptr) throw std::bad_alloc();
  c.data.reset(static_cast<std::byte*>(p));
  return c;
}

float* Arena::alloc_floats(std::int64_t n) {
  std::size_t bytes = round_up(static_cast<std::size_t>(n < 1 ? 1 : n) * sizeof(float), kAlign);
  pass_bytes_ += bytes;
  if (chunks_.empty() || chunks_.back().used + bytes > chunks_.back().size) {
    std::size_t want = bytes;
    if (!chunks_.empty() && want < chunks_.back().size) want = chunks_.back().size;  // grow geometrically-ish
    chunks_.push_back(make_chunk(want));
  }
  Chunk& c = chunks_.back();
  float* out = reinterpret_cast<float*>(c.data.get() + c.used);
  c.used += bytes;
  return out;
}

void Arena::reset() {
  if (chunks_.size() > 1) {
    chunks_.clear();
    chunks_.push_back(make_chunk(pass_bytes_));
  }
  for (auto& c : chunks_) c.used = 0;
  pass_bytes_ = 0;
}

std::size_t Arena::capacity_bytes() const {
  std::size_t n = 0;
  for (const auto& c : chunks_) n += c.size;
  return n;
}

}  // namespace hearth::cpu
