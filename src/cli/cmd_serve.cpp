// hearth serve [MODEL] [--config FILE] [--host H] [--port P] ...: the OpenAI- and Ollama-compatible server.
// Every config.yaml key has a flag here (generated from config/option_table.h) and a HEARTH_* variable;
// precedence is flag > environment > file > default.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <tuple>
#include <utility>

#include "cli/commands.h"
#include "config/config.h"
#include "config/option_table.h"
#include "scheduler/engine_service.h"
#include "scheduler/model_frontend.h"
#include "server/fake_engine.h"
#include "server/server_app.h"
#include "util/error.h"

namespace hearth::cli {

namespace {

struct ServeArgs {
  std::string model;
  std::string config_file;
  bool print_config = false;
  // One slot per configuration key (indexed like option_table()), filled by its flag.
  std::vector<std::pair<const config::OptionSpec*, CLI::Option*>> options;
  std::vector<std::vector<std::string>> values;
  // Hidden: serve the fake engine (tests, and trying the API without a model).
  bool fake_engine = false;
  int fake_token_delay_ms = 0;
  int fake_load_ms = 0;
  int fake_warmup_ms = 0;
};

// The name clients use when none is configured: the file name without extension, or the folder's name.
std::string default_model_name(const std::string& model) {
  if (model.empty()) return "fake";
  std::filesystem::path p(model);
  while (!p.empty() && !p.has_filename()) p = p.parent_path();
  if (std::filesystem::exists(p)) return p.extension() == ".gguf" ? p.stem().string() : p.filename().string();
  return model;  // a store name such as qwen3:30b-a3b
}

const char* type_name(config::ValueKind kind) {
  switch (kind) {
    case config::ValueKind::kInteger:
      return "INT";
    case config::ValueKind::kNumber:
      return "NUMBER";
    case config::ValueKind::kDuration:
      return "DURATION";
    case config::ValueKind::kSize:
      return "SIZE";
    default:
      return "TEXT";
  }
}

std::size_t index_of(const config::OptionSpec& spec) {
  return static_cast<std::size_t>(&spec - config::option_table().data());
}

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "{}: cannot read {}", what, path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The real engine (scheduler/engine_service.h) and its prompt frontend for cfg.model.
std::pair<std::unique_ptr<server::GenerationService>, std::unique_ptr<server::PromptFrontend>> make_engine(
    const config::Config& cfg) {
  // The template in effect: prompt_template, else a chat_template file, else the model's own.
  std::string chat_template;
  if (cfg.prompt_template.empty() && !cfg.chat_template.empty()) {
    chat_template = read_text_file(cfg.chat_template, "chat_template");
  }
  scheduler::EngineOptions options;
  options.model = cfg.model;
  options.served_model_name = cfg.served_model_name;
  options.engine = cfg.engine;
  options.chat_template = !cfg.prompt_template.empty() ? cfg.prompt_template : chat_template;
  options.json_constraints = true;  // response_format json_object / json_schema
  auto engine = std::make_unique<scheduler::EngineService>(std::move(options));
  const bool use_prompt_template = !cfg.prompt_template.empty();
  std::string tpl = engine->model_info().chat_template;
  auto frontend = std::make_unique<scheduler::ModelPromptFrontend>(engine->tokenizer(), std::move(tpl),
                                                                  use_prompt_template,
                                                                  engine->model_files().special_token_strings);
  return {std::move(engine), std::move(frontend)};
}

void run_serve(ServeArgs& args) {
  server::block_shutdown_signals();  // before any thread exists

  config::ConfigSources sources;
  if (!args.config_file.empty()) sources.file = args.config_file;
  sources.env = config::hearth_environment();
  for (std::size_t i = 0; i < args.options.size(); ++i) {
    const auto& [spec, option] = args.options[i];
    // Bool flags have no option object; their callbacks fill the value.
    const std::vector<std::string>& given = args.values[index_of(*spec)];
    if ((option && option->count() > 0) || (!option && !given.empty())) sources.flags[spec->path] = given;
  }
  if (!args.model.empty()) sources.flags["model"] = {args.model};  // the positional MODEL wins over --model
  config::Config cfg = config::load_config(sources);
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));

  if (args.print_config) {
    std::fputs(config::dump_config_yaml(cfg).c_str(), stdout);
    return;
  }
  if (cfg.served_model_name.empty()) cfg.served_model_name = default_model_name(cfg.model);

  std::unique_ptr<server::GenerationService> service;
  std::unique_ptr<server::PromptFrontend> frontend;
  if (args.fake_engine) {
    server::FakeEngineOptions fake;
    fake.model_name = cfg.served_model_name;
    fake.context_length = cfg.engine.context > 0 ? cfg.engine.context : 4096;
    fake.max_sequences = cfg.engine.max_sequences;
    fake.token_delay = std::chrono::milliseconds(args.fake_token_delay_ms);
    fake.load_time = std::chrono::milliseconds(args.fake_load_ms);
    fake.warmup_time = std::chrono::milliseconds(cfg.engine.warmup ? args.fake_warmup_ms : 0);
    service = std::make_unique<server::FakeGenerationService>(fake);
    frontend = std::make_unique<server::FakePromptFrontend>(cfg.prompt_template);
  } else if (cfg.model.empty()) {
    fail("no model to serve: pass MODEL, or set model in config.yaml or HEARTH_MODEL");
  } else {
    std::tie(service, frontend) = make_engine(cfg);
  }
  server::ServerApp app(std::move(cfg), std::move(service), std::move(frontend));
  app.run();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over the OpenAI and Ollama HTTP APIs");
  cmd->add_option("MODEL", args->model, "GGUF file, Hugging Face folder or store name (config: model)");
  cmd->add_option("--config", args->config_file, "config.yaml to read [HEARTH_CONFIG]");
  cmd->add_flag("--print-config", args->print_config, "print the effective configuration as YAML and exit");

  const auto& table = config::option_table();
  args->values.resize(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const config::OptionSpec& spec = table[i];
    const std::string help = spec.help + " [" + spec.env + "]";
    CLI::Option* opt = nullptr;
    if (spec.kind == config::ValueKind::kBool) {
      // A pair of plain flags: --warmup / --no-warmup (config.yaml and HEARTH_* take true/false).
      const std::string name = spec.flag.substr(2);
      cmd->add_flag_callback(
          "--" + name, [args, i] { args->values[i] = {"true"}; }, help);
      cmd->add_flag_callback(
          "--no-" + name, [args, i] { args->values[i] = {"false"}; }, "turn " + name + " off");
    } else {
      opt = cmd->add_option(spec.flag, args->values[i], help);
      // One value per occurrence, so a positional MODEL after "--port 0" stays positional.
      if (spec.kind != config::ValueKind::kStringList) opt->expected(1)->allow_extra_args(false);
      opt->type_name(type_name(spec.kind));
    }
    args->options.emplace_back(&spec, opt);
  }

  const std::string hidden;  // an empty group hides an option from --help
  cmd->add_flag("--fake-engine", args->fake_engine, "serve a fake engine (tests)")->group(hidden);
  cmd->add_option("--fake-token-delay-ms", args->fake_token_delay_ms, "fake engine: delay per token")->group(hidden);
  cmd->add_option("--fake-load-ms", args->fake_load_ms, "fake engine: loading time")->group(hidden);
  cmd->add_option("--fake-warmup-ms", args->fake_warmup_ms, "fake engine: warm-up time")->group(hidden);
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace hearth::cli
