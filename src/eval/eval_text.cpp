#include "eval/eval_text.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "model/model.h"
#include "util/error.h"

namespace hearth::eval {

std::vector<TokenId> tokenize_text_file(const std::string& path, const Tokenizer& tokenizer) {
  std::ifstream file(path, std::ios::binary);
  require(static_cast<bool>(file), "cannot open text file {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  const std::string content = text.str();
  require(!file.bad(), "cannot read text file {}", path);
  require(content.find_first_not_of(" \t\r\n\f\v") != std::string::npos, "text file {} is empty", path);
  return tokenizer.encode(content, /*parse_special=*/false);
}

ChunkPlan plan_chunks(std::int64_t n_tokens, std::int64_t ctx, std::int64_t max_chunks, std::int64_t context_length) {
  require(ctx >= 8, "--ctx must be at least 8 tokens, got {}", ctx);
  require(context_length <= 0 || ctx <= context_length, "--ctx {} exceeds the model's context length of {}", ctx,
          context_length);
  require(n_tokens >= ctx,
          "the text is only {} tokens long; --ctx {} needs at least {} (one chunk): use a longer file or a smaller "
          "--ctx",
          n_tokens, ctx, ctx);
  ChunkPlan plan;
  plan.ctx = ctx;
  plan.n_chunks = n_tokens / ctx;
  if (max_chunks > 0) plan.n_chunks = std::min(plan.n_chunks, max_chunks);
  plan.first_scored = ctx / 2;
  return plan;
}

ChunkEvaluator::ChunkEvaluator(Model& model, const ChunkPlan& plan, std::int64_t batch_size)
    : model_(model), plan_(plan), batch_size_(std::max<std::int64_t>(batch_size, 1)) {
  cache_ = model.create_kv_cache(plan.ctx);
}

ChunkEvaluator::~ChunkEvaluator() = default;

void ChunkEvaluator::evaluate(std::span<const TokenId> tokens, std::int64_t index, TokenId bos, Logits& out) {
  const std::int64_t ctx = plan_.ctx;
  const std::int64_t vocab = model_.config().vocab_size;
  const std::int64_t rows = plan_.scored_per_chunk();
  out.n_rows = rows;
  out.vocab = vocab;
  out.data.resize(static_cast<std::size_t>(rows * vocab));

  if (cache_->has_sequence(0)) cache_->free_sequence(0);
  cache_->add_sequence(0);
  const TokenId* chunk = tokens.data() + index * ctx;
  Batch batch;
  Logits part;
  std::int64_t row = 0;
  // Position ctx-1 predicts the first token of the next chunk, which is not part of this chunk.
  const std::int64_t last_output = ctx - 2;
  for (std::int64_t begin = 0; begin < ctx; begin += batch_size_) {
    const std::int64_t end = std::min(ctx, begin + batch_size_);
    batch.clear();
    for (std::int64_t p = begin; p < end; ++p) {
      const TokenId id = (p == 0 && bos >= 0) ? bos : chunk[p];
      batch.add(id, 0, static_cast<std::int32_t>(p), p >= plan_.first_scored && p <= last_output);
    }
    model_.forward(batch, *cache_, part);
    if (part.n_rows == 0) continue;
    std::copy(part.data.begin(), part.data.begin() + part.n_rows * vocab, out.data.begin() + row * vocab);
    row += part.n_rows;
  }
}

}  // namespace hearth::eval
