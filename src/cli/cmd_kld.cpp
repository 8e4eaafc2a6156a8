// hearth kld MODEL --reference REF_MODEL --file TEXT [--ctx 512] [--chunks K] [-b 512] [-t N] [--json]
// How much MODEL (e.g. a quantized GGUF) departs from REF_MODEL (its f16/f32 original) over the same
// tokens (eval/kl_divergence.h): mean KL(ref || model) ± its standard error, median / 99th percentile /
// maximum, top-1 agreement, both perplexities and their ratio. Running figures after every chunk; with
// --json the progress goes to stderr and stdout gets
// {"model","reference","file","text_tokens","ctx","chunks","tokens_scored","kld_mean","kld_error","kld_median",
//  "kld_p99","kld_max","top1_agreement","top1_agreement_error","ppl_model","ppl_model_error","ppl_reference",
//  "ppl_reference_error","ppl_ratio","ppl_ratio_error"}.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/scoring_flags.h"
#include "eval/kl_divergence.h"
#include "format/model_files.h"
#include "model/model.h"
#include "store/resolve.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct KldArgs {
  std::string model;
  std::string reference;
  std::string file;
  ScoringFlags flags;
};

void run_kld(const KldArgs& a) {
  check_scoring_flags(a.flags);
  ModelFiles model_files = open_model_files(store::resolve_model_path(a.model));
  ModelFiles ref_files = open_model_files(store::resolve_model_path(a.reference));
  require(model_files.config.vocab_size == ref_files.config.vocab_size,
          "{} has {} vocabulary rows but the reference {} has {}: KL divergence needs the same vocabulary",
          model_files.path, model_files.config.vocab_size, ref_files.path, ref_files.config.vocab_size);
  auto model_tokenizer = load_tokenizer(model_files);
  auto ref_tokenizer = load_tokenizer(ref_files);
  const std::vector<TokenId> tokens = eval::tokenize_text_file(a.file, *ref_tokenizer);
  // The same ids from both tokenizers: otherwise position i would not be the same token for both models.
  require(model_tokenizer->vocab_size() == ref_tokenizer->vocab_size() &&
              eval::tokenize_text_file(a.file, *model_tokenizer) == tokens,
          "{} and the reference {} tokenize {} differently: their vocabularies differ", model_files.path,
          ref_files.path, a.file);
  const std::int64_t context_length = std::min(model_files.config.context_length, ref_files.config.context_length);
  const eval::ChunkPlan plan = eval::plan_chunks(static_cast<std::int64_t>(tokens.size()), a.flags.options.ctx,
                                                 a.flags.options.max_chunks, context_length);
  const TokenId bos = ref_tokenizer->add_bos() ? *ref_tokenizer->bos_id() : -1;

  BackendOptions backend_options;
  backend_options.threads = a.flags.threads;
  auto backend = create_backend(backend_options);  // one backend (one thread pool) serves both models in turn
  auto model = load_model(model_files, *backend);
  auto reference = load_model(ref_files, *backend);

  FILE* progress_stream = a.flags.json ? stderr : stdout;
  print_now(progress_stream, fmt::format("kld: {} tokens in {}; {} chunks of {} tokens, scoring the last {} of each\n",
                                         tokens.size(), a.file, plan.n_chunks, plan.ctx, plan.scored_per_chunk()));
  auto progress = [&](std::int64_t c, const eval::KldResult& r, double seconds) {
    print_now(progress_stream,
              fmt::format("[{}/{}] mean KLD = {:.6f} ± {:.6f}, top-1 = {:.2f} ± {:.2f} %, PPL ratio = {:.4f} ± {:.4f} "
                          "({:.2f} s)\n",
                          c + 1, r.plan.n_chunks, r.kld_mean, r.kld_error, 100 * r.top1_agreement,
                          100 * r.top1_agreement_error, r.ppl_ratio, r.ppl_ratio_error, seconds));
  };
  const eval::KldResult r = eval::compute_kld(*model, *reference, tokens, bos, a.flags.options, progress);

  if (!a.flags.json) {
    std::string out;
    out += fmt::format("\nover {} scored tokens ({} chunks of {}):\n", r.tokens_scored, r.plan.n_chunks, r.plan.ctx);
    out += fmt::format("PPL(model)      = {:.4f} ± {:.4f}\n", r.ppl_model.value, r.ppl_model.error);
    out += fmt::format("PPL(reference)  = {:.4f} ± {:.4f}\n", r.ppl_reference.value, r.ppl_reference.error);
    out += fmt::format("PPL ratio       = {:.6f} ± {:.6f}  (model / reference)\n", r.ppl_ratio, r.ppl_ratio_error);
    out += fmt::format("mean KLD        = {:.6f} ± {:.6f}\n", r.kld_mean, r.kld_error);
    out += fmt::format("KLD median / 99% / max = {:.6f} / {:.6f} / {:.6f}\n", r.kld_median, r.kld_p99, r.kld_max);
    out += fmt::format("top-1 agreement = {:.3f} ± {:.3f} %\n", 100 * r.top1_agreement, 100 * r.top1_agreement_error);
    print_now(stdout, out);
    return;
  }
  nlohmann::ordered_json out;
  out["model"] = model_files.path;
  out["reference"] = ref_files.path;
  out["file"] = a.file;
  out["text_tokens"] = r.text_tokens;
  out["ctx"] = r.plan.ctx;
  out["chunks"] = r.plan.n_chunks;
  out["tokens_scored"] = r.tokens_scored;
  out["kld_mean"] = r.kld_mean;
  out["kld_error"] = r.kld_error;
  out["kld_median"] = r.kld_median;
  out["kld_p99"] = r.kld_p99;
  out["kld_max"] = r.kld_max;
  out["top1_agreement"] = r.top1_agreement;
  out["top1_agreement_error"] = r.top1_agreement_error;
  out["ppl_model"] = r.ppl_model.value;
  out["ppl_model_error"] = r.ppl_model.error;
  out["ppl_reference"] = r.ppl_reference.value;
  out["ppl_reference_error"] = r.ppl_reference.error;
  out["ppl_ratio"] = r.ppl_ratio;
  out["ppl_ratio_error"] = r.ppl_ratio_error;
  print_now(stdout, out.dump() + "\n");
}

}  // namespace

void add_kld_command(CLI::App& app) {
  auto a = std::make_shared<KldArgs>();
  CLI::App* cmd =
      app.add_subcommand("kld", "KL divergence, top-1 agreement and perplexity ratio of a model versus a reference");
  cmd->add_option("MODEL", a->model, "The model to measure (e.g. a quantized GGUF)")->required();
  cmd->add_option("--reference", a->reference, "The reference model (e.g. the f16 or f32 original)")->required();
  cmd->add_option("-f,--file", a->file, "Text file to score")->required();
  add_scoring_flags(cmd, a->flags);
  cmd->callback([a] { run_kld(*a); });
}

}  // namespace hearth::cli
