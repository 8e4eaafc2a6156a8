// hearth perplexity MODEL --file TEXT [--ctx 512] [--chunks K] [-b 512] [-t N] [--json]
// llama.cpp-style perplexity (eval/eval_text.h, eval/perplexity.h): the text is tokenized, cut into chunks
// of --ctx tokens, and the second half of each chunk is scored. Prints the running PPL after every chunk
// and the final estimate with its standard error; with --json the progress goes to stderr and stdout gets
// {"model","file","text_tokens","ctx","chunks","tokens_scored","mean_nll","ppl","ppl_error",
//  "chunk_ppl":[running PPL after each chunk]}.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/scoring_flags.h"
#include "eval/perplexity.h"
#include "format/model_files.h"
#include "model/model.h"
#include "store/resolve.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct PerplexityArgs {
  std::string model;
  std::string file;
  ScoringFlags flags;
};

void run_perplexity(const PerplexityArgs& a) {
  check_scoring_flags(a.flags);
  ModelFiles files = open_model_files(store::resolve_model_path(a.model));
  auto tokenizer = load_tokenizer(files);
  const std::vector<TokenId> tokens = eval::tokenize_text_file(a.file, *tokenizer);
  // Fail on a short text or a bad --ctx before the weights are touched.
  const eval::ChunkPlan plan = eval::plan_chunks(static_cast<std::int64_t>(tokens.size()), a.flags.options.ctx,
                                                 a.flags.options.max_chunks, files.config.context_length);
  const TokenId bos = tokenizer->add_bos() ? *tokenizer->bos_id() : -1;

  BackendOptions backend_options;
  backend_options.threads = a.flags.threads;
  auto backend = create_backend(backend_options);
  auto model = load_model(files, *backend);

  FILE* progress_stream = a.flags.json ? stderr : stdout;
  std::vector<double> chunk_ppl;
  auto progress = [&](std::int64_t c, const eval::PerplexityResult& r, double seconds) {
    chunk_ppl.push_back(r.ppl.value);
    print_now(progress_stream, fmt::format("[{}/{}] PPL = {:.4f} ± {:.4f} ({} tokens scored, {:.2f} s)\n", c + 1,
                                           r.plan.n_chunks, r.ppl.value, r.ppl.error, r.tokens_scored, seconds));
  };
  print_now(progress_stream,
            fmt::format("perplexity: {} tokens in {}; {} chunks of {} tokens, scoring the last {} of each\n",
                        tokens.size(), a.file, plan.n_chunks, plan.ctx, plan.scored_per_chunk()));
  const eval::PerplexityResult r = eval::compute_perplexity(*model, tokens, bos, a.flags.options, progress);

  if (!a.flags.json) {
    print_now(stdout, fmt::format("Final estimate: PPL = {:.4f} ± {:.4f} over {} tokens ({} chunks of {})\n",
                                  r.ppl.value, r.ppl.error, r.tokens_scored, r.plan.n_chunks, r.plan.ctx));
    return;
  }
  nlohmann::ordered_json out;
  out["model"] = files.path;
  out["file"] = a.file;
  out["text_tokens"] = r.text_tokens;
  out["ctx"] = r.plan.ctx;
  out["chunks"] = r.plan.n_chunks;
  out["tokens_scored"] = r.tokens_scored;
  out["mean_nll"] = r.mean_nll;
  out["ppl"] = r.ppl.value;
  out["ppl_error"] = r.ppl.error;
  out["chunk_ppl"] = chunk_ppl;
  print_now(stdout, out.dump() + "\n");
}

}  // namespace

void add_perplexity_command(CLI::App& app) {
  auto a = std::make_shared<PerplexityArgs>();
  CLI::App* cmd = app.add_subcommand("perplexity", "Perplexity of a model over a text file (llama.cpp's method)");
  cmd->add_option("MODEL", a->model, "GGUF file, Hugging Face model folder, or a model name in the local store")
      ->required();
  cmd->add_option("-f,--file", a->file, "Text file to score")->required();
  add_scoring_flags(cmd, a->flags);
  cmd->callback([a] { run_perplexity(*a); });
}

}  // namespace hearth::cli
