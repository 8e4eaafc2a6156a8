#include "tokenizer/bpe.h"

#include <functional>
#include <mutex>
#include <queue>

namespace hearth {

// Word -> ids, sharded so that concurrent encoders (HTTP threads) rarely share a lock. Each shard
// is simply emptied when full: cheap, and a text's common words come straight back.
class BpeModel::WordCache {
 public:
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxWordsPerShard = 8192;
  static constexpr std::size_t kMaxWordBytes = 256;  // longer pre-tokens are rare; don't keep them

  bool lookup(std::string_view word, std::size_t hash, std::vector<std::int32_t>& out) {
    Shard& s = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.words.find(word);
    if (it == s.words.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(std::string_view word, std::size_t hash, const std::int32_t* ids, std::size_t n) {
    Shard& s = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.words.size() >= kMaxWordsPerShard) s.words.clear();
    s.words.emplace(std::string(word), std::vector<std::int32_t>(ids, ids + n));
  }

 private:
  struct Hash {
    using is_transparent = void;  // look words up by string_view without copying them
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<std::int32_t>, Hash, std::equal_to<>> words;
  };
  std::array<Shard, kShards> shards_;
};

BpeModel::BpeModel(std::array<std::int32_t, 256> byte_tokens, const std::vector<BpeMerge>& merges,
                   std::unordered_map<std::string, std::int32_t> whole_words)
    : byte_tokens_(byte_tokens),
      merges_(merges.size()),
      whole_words_(std::move(whole_words)),
      cache_(std::make_unique<WordCache>()) {
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& m = merges[rank];
    if (m.left < 0 || m.right < 0 || m.result < 0) continue;  // a merge the vocabulary cannot express
    // A pair listed twice keeps its first (lowest) rank.
    merges_.insert(m.left, m.right, {static_cast<std::int32_t>(rank), m.result});
  }
}

BpeModel::~BpeModel() = default;

void BpeModel::encode(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (word.size() == 1) {
    if (const std::int32_t id = byte_tokens_[static_cast<std::uint8_t>(word[0])]; id >= 0) out.push_back(id);
    return;
  }
  if (!whole_words_.empty()) {
    if (auto it = whole_words_.find(std::string(word)); it != whole_words_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  if (word.size() > WordCache::kMaxWordBytes) {
    merge(word, out);
    return;
  }
  const std::size_t hash = std::hash<std::string_view>{}(word);
  if (cache_->lookup(word, hash, out)) return;
  const std::size_t first = out.size();
  merge(word, out);
  cache_->insert(word, hash, out.data() + first, out.size() - first);
}

void BpeModel::merge(std::string_view word, std::vector<std::int32_t>& out) const {
  struct Symbol {
    std::int32_t id;
    std::int32_t prev;
    std::int32_t next;
    bool alive;
  };
  struct Candidate {
    std::int32_t rank;
    std::int32_t pos;  // index of the left symbol
    std::int32_t result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };

  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (char c : word) {
    const std::int32_t id = byte_tokens_[static_cast<std::uint8_t>(c)];
    if (id < 0) continue;
    const auto index = static_cast<std::int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::vector<Candidate> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue(std::greater<Candidate>{},
                                                                                        std::move(storage));
  auto consider = [&](std::int32_t left) {
    const std::int32_t right = symbols[left].next;
    if (right < 0) return;
    if (const MergeTable::Rule* r = merges_.find(symbols[left].id, symbols[right].id))
      queue.push({r->rank, left, r->result});
  };
  for (std::int32_t i = 0; i + 1 < static_cast<std::int32_t>(symbols.size()); ++i) consider(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Stale entry: one of the two symbols changed since it was queued.
    const MergeTable::Rule* r = merges_.find(left.id, right.id);
    if (!r || r->result != top.result) continue;
    left.id = top.result;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (std::int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace hearth
