#include "backend/cpu/arena.h"

#include <algorithm>
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
  if (chunks_.empty()) {
    chunks_.push_back(make_chunk(bytes));
    current_ = 0;
  }
  while (chunks_[current_].used + bytes > chunks_[current_].size) {
    // Move on to the next chunk (a spare one left by rewind() when it is large enough), at least as large
    // as this one so the number of chunks stays small.
    const std::size_t want = std::max(bytes, chunks_[current_].size);
    ++current_;
    if (current_ == chunks_.size())
      chunks_.push_back(make_chunk(want));
    else if (chunks_[current_].size < bytes)
      chunks_[current_] = make_chunk(want);
    chunks_[current_].used = 0;
  }
  Chunk& c = chunks_[current_];
  float* out = reinterpret_cast<float*>(c.data.get() + c.used);
  c.used += bytes;
  live_bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, live_bytes_);
  return out;
}

Arena::Mark Arena::mark() const {
  if (chunks_.empty()) return {};
  return {current_, chunks_[current_].used, live_bytes_};
}

void Arena::rewind(const Mark& m) {
  if (chunks_.empty()) return;
  current_ = m.chunk;
  chunks_[current_].used = m.used;
  live_bytes_ = m.live;
}

void Arena::reset() {
  if (chunks_.size() > 1) {
    chunks_.clear();
    chunks_.push_back(make_chunk(peak_bytes_));
  }
  for (auto& c : chunks_) c.used = 0;
  current_ = 0;
  live_bytes_ = 0;
  peak_bytes_ = 0;
}

std::size_t Arena::capacity_bytes() const {
  std::size_t n = 0;
  for (const auto& c : chunks_) n += c.size;
  return n;
}

}  // namespace hearth::cpu
