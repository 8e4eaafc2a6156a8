// POST /api/chat and POST /api/generate (Ollama). An empty request (no messages / no prompt) only loads the
// model, or unloads it with keep_alive 0, as in Ollama.
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/generation_setup.h"
#include "server/json_util.h"
#include "server/ollama_request.h"
#include "server/ollama_writer.h"
#include "server/routes.h"

namespace hearth::server {

namespace {

using nlohmann::json;

// Answers a load/unload request without generating.
void respond_load(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, bool chat,
                  const std::optional<config::Duration>& keep_alive) {
  const bool unload = keep_alive && keep_alive->count() == 0;
  if (unload) {
    ctx.service.request_unload();
  } else {
    ctx.keep_alive.request_started(keep_alive);  // a load request sets the keep_alive like any other
    ctx.keep_alive.request_finished();
  }
  json body = {{"model", ctx.model_name()}, {"created_at", rfc3339_now()}};
  if (chat) {
    body["message"] = {{"role", "assistant"}, {"content", ""}};
  } else {
    body["response"] = "";
  }
  body["done_reason"] = unload ? "unload" : "load";
  body["done"] = true;
  ex->respond(HttpResponse::json(200, dump_json(body)));
}

void start(ServerContext& ctx, const std::shared_ptr<Exchange>& ex, GenerationOptions options,
           const std::vector<TokenId>& prompt, const std::string& prompt_text, bool chat, bool thinking, bool tools,
           const std::optional<config::Duration>& keep_alive) {
  options.constraint.reasoning = reasoning_before_constraint(ctx, options, thinking, prompt_text);
  auto requests = make_generation_requests(ctx, options, prompt, (chat ? "ollama-chat-" : "ollama-gen-") + random_id(),
                                           ex->request().received, PromptLimits{chat ? "messages" : "prompt", true});
  OutputParserOptions parser_options;
  parser_options.reasoning = thinking;
  parser_options.tools = tools;
  parser_options.rendered_prompt = prompt_text;
  OllamaWriterOptions writer_options{chat, ctx.model_name(), options.stream, chat ? std::vector<TokenId>{} : prompt};
  run_generation(ctx, ex, std::move(requests),
                 make_ollama_writer(std::move(writer_options), ctx.frontend.make_output_parser(parser_options)),
                 keep_alive);
}

void handle_chat(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  OllamaChatRequest req = parse_ollama_chat_request(parse_json_object_body(ex->request().body));
  check_model_name(ctx, req.options.model, ErrorStyle::kOllama);
  if (req.prompt.messages.empty()) return respond_load(ctx, ex, true, req.keep_alive);
  check_capabilities(ctx, req.options);
  const ModelInfo& info = ctx.service.model_info();
  if (!req.prompt.tools.empty() && !info.supports_tools) {
    throw ApiException(ApiError::bad_request(ctx.model_name() + " does not support tools"));
  }
  const std::string text = ctx.frontend.render_chat(req.prompt);
  const bool thinking = info.supports_thinking && req.prompt.enable_thinking.value_or(true);
  start(ctx, ex, req.options, ctx.frontend.tokenize(text), text, true, thinking, !req.prompt.tools.empty(),
        req.keep_alive);
}

void handle_generate(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  OllamaGenerateRequest req = parse_ollama_generate_request(parse_json_object_body(ex->request().body));
  check_model_name(ctx, req.options.model, ErrorStyle::kOllama);
  if (req.prompt.empty() && req.context.empty()) return respond_load(ctx, ex, false, req.keep_alive);
  check_capabilities(ctx, req.options);
  std::string text = req.prompt;
  if (!req.raw) {
    ChatPromptInput input;
    if (!req.system.empty()) input.messages.push_back(ChatMessage{"system", req.system, false, {}, {}, {}, {}});
    input.messages.push_back(ChatMessage{"user", req.prompt, false, {}, {}, {}, {}});
    input.enable_thinking = req.think;
    text = ctx.frontend.render_chat(input);
  }
  std::vector<TokenId> prompt = req.context;  // an earlier exchange this one continues
  const auto tokens = ctx.frontend.tokenize(text);
  prompt.insert(prompt.end(), tokens.begin(), tokens.end());
  const bool thinking = !req.raw && ctx.service.model_info().supports_thinking && req.think.value_or(true);
  start(ctx, ex, req.options, prompt, text, false, thinking, false, req.keep_alive);
}

}  // namespace

void add_ollama_generation_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/api/chat", ErrorStyle::kOllama,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_chat(ctx, ex); });
  router.add("POST", "/api/generate", ErrorStyle::kOllama,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_generate(ctx, ex); });
}

}  // namespace hearth::server
