#pragma once
// A small byte trie over a fixed set of strings (an object's property keys, an enum's literal texts), walked
// one byte at a time by the JSON automaton. Each string carries a value (its index); every node knows the
// sorted values below it so that "can this prefix still become one of the values in [lo, hi]?" is cheap.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::constrain {

class ByteTrie {
 public:
  static constexpr std::uint32_t kRoot = 0;
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;

  ByteTrie() : nodes_(1) {}

  // Adds `bytes` with `value` (values should be added in increasing order). A string added twice keeps
  // its first value.
  void insert(std::string_view bytes, std::int32_t value) {
    std::uint32_t node = kRoot;
    add_below(node, value);
    for (unsigned char b : bytes) {
      std::uint32_t next = child(node, b);
      if (next == kNone) {
        next = static_cast<std::uint32_t>(nodes_.size());
        nodes_[node].children.emplace_back(b, next);
        nodes_.emplace_back();
      }
      node = next;
      add_below(node, value);
    }
    if (nodes_[node].value < 0) nodes_[node].value = value;
  }

  // The node reached from `node` by byte `b`, or kNone.
  std::uint32_t child(std::uint32_t node, std::uint8_t b) const {
    for (const auto& [byte, next] : nodes_[node].children)
      if (byte == b) return next;
    return kNone;
  }
  // The value of the string ending exactly at `node`, or -1.
  std::int32_t value(std::uint32_t node) const { return nodes_[node].value; }
  bool has_children(std::uint32_t node) const { return !nodes_[node].children.empty(); }
  // Whether some string through `node` has a value in [lo, hi].
  bool leads_to(std::uint32_t node, std::int32_t lo, std::int32_t hi) const {
    const auto& below = nodes_[node].below;
    auto it = std::lower_bound(below.begin(), below.end(), lo);
    return it != below.end() && *it <= hi;
  }
  bool empty() const { return nodes_[kRoot].below.empty(); }

 private:
  struct Node {
    std::vector<std::pair<std::uint8_t, std::uint32_t>> children;
    std::vector<std::int32_t> below;  // sorted values of the strings through this node
    std::int32_t value = -1;
  };
  void add_below(std::uint32_t node, std::int32_t value) {
    auto& below = nodes_[node].below;
    auto it = std::lower_bound(below.begin(), below.end(), value);
    if (it == below.end() || *it != value) below.insert(it, value);
  }
  std::vector<Node> nodes_;
};

}  // namespace hearth::constrain
