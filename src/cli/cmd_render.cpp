// hearth render MODEL --messages FILE.json [--kwargs JSON] [--template FILE.jinja]
// Prints the prompt the model's chat template makes of a conversation, byte for byte as transformers'
// apply_chat_template(tokenize=False) would, and nothing else (no trailing newline).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "chat/chat_template.h"
#include "cli/commands.h"
#include "format/model_files.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth::cli {
namespace {

struct RenderArgs {
  std::string model;
  std::string messages;
  std::optional<std::string> kwargs;
  std::optional<std::string> template_path;
};

nlohmann::ordered_json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", what, e.what());
  }
}

// The --messages file: a JSON array of messages, or an object {"messages": [...], "tools": [...]}
// (other keys, such as an OpenAI request's "model", are ignored).
void read_conversation(const std::string& path, nlohmann::ordered_json& messages, nlohmann::ordered_json& tools) {
  const std::string text = path == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : read_file(path);
  nlohmann::ordered_json j = parse_json(text, path);
  if (j.is_array()) {
    messages = std::move(j);
    return;
  }
  require(j.is_object() && j.contains("messages"),
          "{}: expected a JSON array of messages or an object with \"messages\"", path);
  messages = j["messages"];
  require(messages.is_array(), "{}: \"messages\" must be an array", path);
  if (j.contains("tools")) tools = j["tools"];
}

void run_render(const RenderArgs& args) {
  nlohmann::ordered_json messages, tools;
  read_conversation(args.messages, messages, tools);
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();
  if (args.kwargs) {
    kwargs = parse_json(*args.kwargs, "--kwargs");
    require(kwargs.is_object(), "--kwargs must be a JSON object of template variables");
  }
  if (!tools.is_null() && !kwargs.contains("tools")) kwargs["tools"] = tools;

  const ModelFiles files = open_model_files(args.model, /*load_weights=*/false);
  std::string source;
  if (args.template_path) {
    source = read_file(*args.template_path);
  } else {
    require(!files.chat_template.empty(), "{}: the model has no chat template (give one with --template FILE.jinja)",
            args.model);
    source = files.chat_template;
  }
  const ChatTemplate chat_template(source);
  const std::string prompt = chat_template.render(chat_template_context(messages, files.special_token_strings, kwargs));
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void add_render_command(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  CLI::App* render = app.add_subcommand("render", "Print the prompt a chat template makes of a conversation");
  render->add_option("MODEL", args->model, "Model: a Hugging Face folder or a GGUF file (template, special tokens)")
      ->required();
  render
      ->add_option(
          "--messages", args->messages,
          "JSON file ('-' for standard input): an array of messages, or {\"messages\": [...], \"tools\": [...]}")
      ->required();
  render->add_option(
      "--kwargs", args->kwargs,
      "JSON object of template variables, e.g. {\"add_generation_prompt\":true,\"enable_thinking\":false}; "
      "they override the model's special tokens");
  render->add_option("--template", args->template_path, "Render this Jinja file instead of the model's own template");
  render->callback([args] { run_render(*args); });
}

}  // namespace hearth::cli
