#pragma once
// The token stream that perplexity and KL divergence score, and how it is cut into chunks (llama.cpp's
// scheme): the text is tokenized once (special-token text stays plain text), cut into consecutive chunks
// of `ctx` tokens (the tail that does not fill a chunk is dropped), and each chunk is evaluated from an
// empty context. Only the second half of a chunk is scored, so every scored token has at least ctx/2
// tokens of context: the logits at positions first..ctx-2 predict the tokens at first+1..ctx-1, with
// first = ctx / 2. When the tokenizer adds BOS, each chunk starts with BOS in place of its first token.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace hearth {
class KvCache;
class Model;
struct Logits;
}  // namespace hearth

namespace hearth::eval {

// Reads `path` and tokenizes it. Throws hearth::Error when the file cannot be read, is empty or holds
// only whitespace.
std::vector<TokenId> tokenize_text_file(const std::string& path, const Tokenizer& tokenizer);

struct ChunkPlan {
  std::int64_t ctx = 0;
  std::int64_t n_chunks = 0;
  std::int64_t first_scored = 0;  // logits row 0 is position first_scored; it predicts token first_scored+1

  std::int64_t scored_per_chunk() const { return ctx - 1 - first_scored; }
};

// How a text is scored (perplexity and KL divergence alike).
struct ScoringOptions {
  std::int64_t ctx = 512;
  std::int64_t max_chunks = 0;  // <= 0: all whole chunks
  std::int64_t batch_size = 512;
};

// Validates and plans: ctx >= 8 and within the model's context length (when known, > 0); at least one
// whole chunk of text. max_chunks <= 0 means every whole chunk.
ChunkPlan plan_chunks(std::int64_t n_tokens, std::int64_t ctx, std::int64_t max_chunks, std::int64_t context_length);

// Runs chunks through one model: each from an empty sequence, in forward passes of at most `batch_size`
// tokens (the result does not depend on it), keeping the logits of the scored positions.
class ChunkEvaluator {
 public:
  ChunkEvaluator(Model& model, const ChunkPlan& plan, std::int64_t batch_size = 512);
  ~ChunkEvaluator();

  // Chunk `index` of `tokens` (with BOS put first when `bos` >= 0) -> `out`: scored_per_chunk() rows of
  // vocab logits, row r for position first_scored + r.
  void evaluate(std::span<const TokenId> tokens, std::int64_t index, TokenId bos, Logits& out);

 private:
  Model& model_;
  ChunkPlan plan_;
  std::int64_t batch_size_;
  std::unique_ptr<KvCache> cache_;
};

}  // namespace hearth::eval
