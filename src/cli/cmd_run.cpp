// hearth run MODEL -p PROMPT [--chat] [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p M]
//            [--repeat-penalty R] [--repeat-last-n N] [--presence-penalty P] [--frequency-penalty F]
//            [--seed S] [-t N] [--system S] [--no-think] [-q]
// Generates text and streams it to stdout as it is produced (flushed per token). Sampling defaults come
// from the model's generation_config, then from a store model's PARAMETER lines; each flag overrides
// them. A one-line speed summary goes to stderr (-q: none).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "chat/chat_template.h"
#include "cli/commands.h"
#include "cli/kv_cache_flag.h"
#include "engine/generator.h"
#include "engine/store_params.h"
#include "format/model_files.h"
#include "model/model.h"
#include "store/resolve.h"
#include "tokenizer/detokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string prompt;
  std::string system;
  bool chat = false;
  bool no_think = false;
  bool quiet = false;
  std::int64_t max_tokens = 256;
  int threads = 0;
  std::string kv_cache_type = "f16";
  SamplingParams sampling;  // only the fields whose flag was given are used
  std::uint64_t seed = 0;
  // Flags that were given (CLI11 counts them), so unset ones keep the model's defaults.
  CLI::Option* temp = nullptr;
  CLI::Option* top_k = nullptr;
  CLI::Option* top_p = nullptr;
  CLI::Option* min_p = nullptr;
  CLI::Option* repeat_penalty = nullptr;
  CLI::Option* repeat_last_n = nullptr;
  CLI::Option* presence = nullptr;
  CLI::Option* frequency = nullptr;
  CLI::Option* seed_opt = nullptr;
  CLI::Option* system_opt = nullptr;
  CLI::Option* max_tokens_opt = nullptr;
};

// Defaults a store model carries (`hearth create` PARAMETER lines, Ollama's names) override the model's
// generation_config; flags override both.
void apply_store_params(const nlohmann::json& params, SamplingParams& p, std::int64_t& max_tokens) {
  apply_store_sampling_params(params, p);
  if (auto n = store_num_predict(params)) max_tokens = *n;
}

SamplingParams sampling_params(const RunArgs& a, const GenerationConfig& generation, const nlohmann::json& store_params,
                               std::int64_t& max_tokens) {
  SamplingParams p = SamplingParams::from_generation_config(generation);
  max_tokens = a.max_tokens;
  apply_store_params(store_params, p, max_tokens);
  if (a.max_tokens_opt->count()) max_tokens = a.max_tokens;
  if (a.temp->count()) p.temperature = a.sampling.temperature;
  if (a.top_k->count()) p.top_k = a.sampling.top_k;
  if (a.top_p->count()) p.top_p = a.sampling.top_p;
  if (a.min_p->count()) p.min_p = a.sampling.min_p;
  if (a.repeat_penalty->count()) p.repetition_penalty = a.sampling.repetition_penalty;
  if (a.repeat_last_n->count()) p.repeat_last_n = a.sampling.repeat_last_n;
  if (a.presence->count()) p.presence_penalty = a.sampling.presence_penalty;
  if (a.frequency->count()) p.frequency_penalty = a.sampling.frequency_penalty;
  if (a.seed_opt->count()) p.seed = a.seed;
  p.validate();
  return p;
}

std::string chat_prompt(const RunArgs& a, const ModelFiles& files, const std::string& default_system) {
  require(!files.chat_template.empty(), "{} has no chat template; run without --chat", files.path);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (a.system_opt->count())
    messages.push_back({{"role", "system"}, {"content", a.system}});
  else if (!default_system.empty())
    messages.push_back({{"role", "system"}, {"content", default_system}});
  messages.push_back({{"role", "user"}, {"content", a.prompt}});
  nlohmann::ordered_json kwargs = {{"add_generation_prompt", true}};
  if (a.no_think) kwargs["enable_thinking"] = false;
  ChatTemplate tpl(files.chat_template);
  return tpl.render(chat_template_context(messages, files.special_token_strings, kwargs));
}

void run_generate(const RunArgs& a) {
  require(a.chat || (!a.system_opt->count() && !a.no_think), "--system and --no-think need --chat");
  require(!a.prompt.empty(), "the prompt is empty");
  store::ResolvedModel resolved = store::resolve_model(a.model);
  ModelFiles files = open_model_files(resolved.path);
  if (!resolved.chat_template.empty()) files.chat_template = resolved.chat_template;
  auto tokenizer = load_tokenizer(files);
  GenerationOptions options;
  options.sampling = sampling_params(a, files.generation, resolved.params, options.max_tokens);
  require(options.max_tokens >= -1, "-n must be -1 (until the context is full) or a token count");
  options.stop_tokens = stop_token_ids(files.generation, tokenizer->eog_ids());
  options.kv_cache_type = kv_cache_dtype(a.kv_cache_type);

  std::string text = a.chat ? chat_prompt(a, files, resolved.system_prompt) : a.prompt;
  std::vector<std::int32_t> prompt;
  // Raw prompts start with BOS when the tokenizer asks for it; a chat template writes its own.
  if (!a.chat && tokenizer->add_bos()) prompt.push_back(*tokenizer->bos_id());
  for (TokenId id : tokenizer->encode(text, /*parse_special=*/true)) prompt.push_back(id);

  BackendOptions backend_options;
  backend_options.threads = a.threads;
  auto backend = create_backend(backend_options);
  auto model = load_model(files, *backend);

  StreamingDetokenizer detok(*tokenizer, /*skip_special=*/true);
  Generator generator(*model);
  GenerationResult r = generator.generate(prompt, options, [&](std::int32_t token) {
    std::string piece = detok.push(token);
    if (!piece.empty()) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  });
  std::string rest = detok.flush();
  rest += '\n';
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  std::fflush(stdout);

  if (!a.quiet) {
    const double n_gen = static_cast<double>(r.tokens.size());
    // The first token comes from the prefill's logits; the decode passes produce the rest.
    const double decode_tps = r.decode_seconds > 0 && n_gen > 1 ? (n_gen - 1) / r.decode_seconds : 0;
    std::fprintf(stderr, "[%lld prompt tokens: %.2f s, %.1f tok/s | %lld generated: %.1f tok/s | finish: %s | %s]\n",
                 static_cast<long long>(r.prompt_tokens), r.prefill_seconds,
                 r.prefill_seconds > 0 ? static_cast<double>(r.prompt_tokens) / r.prefill_seconds : 0.0,
                 static_cast<long long>(r.tokens.size()), decode_tps, finish_reason_name(r.finish_reason),
                 backend->name().c_str());
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Generate text from a prompt, streaming it to the terminal");
  cmd->add_option("MODEL", a->model, "GGUF file, Hugging Face model folder, or a model name in the local store")
      ->required();
  cmd->add_option("-p,--prompt", a->prompt, "Prompt text (special-token text such as <|im_start|> is parsed)")
      ->required();
  cmd->add_flag("--chat", a->chat, "Wrap the prompt in the model's chat template as a user message");
  a->system_opt = cmd->add_option("--system", a->system, "System message (with --chat)");
  cmd->add_flag("--no-think", a->no_think, "Render the template with enable_thinking=false (with --chat)");
  a->max_tokens_opt =
      cmd->add_option("-n,--max-tokens", a->max_tokens, "Tokens to generate at most; -1: until the context is full")
          ->capture_default_str();
  a->temp = cmd->add_option("--temp,--temperature", a->sampling.temperature, "Temperature; 0 = greedy");
  a->top_k = cmd->add_option("--top-k", a->sampling.top_k, "Keep the K most probable tokens (0 = off)");
  a->top_p = cmd->add_option("--top-p", a->sampling.top_p, "Nucleus sampling: keep tokens up to this mass (1 = off)");
  a->min_p = cmd->add_option("--min-p", a->sampling.min_p, "Drop tokens below MIN_P x the top probability (0 = off)");
  a->repeat_penalty = cmd->add_option("--repeat-penalty", a->sampling.repetition_penalty,
                                      "Repetition penalty over the last --repeat-last-n tokens (1 = off)");
  a->repeat_last_n = cmd->add_option("--repeat-last-n", a->sampling.repeat_last_n,
                                     "Window of the repetition penalty (default 64; -1 = whole context)");
  a->presence = cmd->add_option("--presence-penalty", a->sampling.presence_penalty,
                                "Subtracted once from tokens already generated (OpenAI)");
  a->frequency = cmd->add_option("--frequency-penalty", a->sampling.frequency_penalty,
                                 "Subtracted per occurrence from tokens already generated (OpenAI)");
  a->seed_opt = cmd->add_option("--seed", a->seed, "Random seed (default: random)");
  cmd->add_option("-t,--threads", a->threads, "CPU threads (default: one per core)");
  add_kv_cache_type_flag(cmd, &a->kv_cache_type);
  cmd->add_flag("-q,--quiet", a->quiet, "No speed summary on stderr");
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace hearth::cli
