// POST /v1/chat/completions: parse -> check -> render the chat template -> tokenize -> one GenerationJob.
#include "server/api_error.h"
#include "server/generation_setup.h"
#include "server/json_util.h"
#include "server/openai_chat_writer.h"
#include "server/openai_request.h"
#include "server/routes.h"
#include "server/tool_call_constraint.h"

namespace hearth::server {

namespace {

void handle_chat_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const auto arrival = ex->request().received;
  ChatRequest req = parse_openai_chat_request(parse_json_object_body(ex->request().body));
  check_model_name(ctx, req.options.model, ErrorStyle::kOpenAI);
  const bool forced_tool_call =
      req.tool_choice.mode == ToolChoice::Mode::kRequired || req.tool_choice.mode == ToolChoice::Mode::kFunction;
  check_capabilities(ctx, req.options, forced_tool_call);
  const ModelInfo& info = ctx.service.model_info();
  if (!req.prompt.tools.empty() && !info.supports_tools) {
    throw ApiException(ApiError::unsupported("This model's chat template does not support tools.", "tools"));
  }

  // A forced call replaces response_format: the answer is the call, not content.
  if (forced_tool_call) {
    req.options.constraint =
        forced_tool_call_constraint(ctx.frontend, req.prompt.tools, req.tool_choice, req.parallel_tool_calls);
  }

  const std::string prompt_text = ctx.frontend.render_chat(req.prompt);
  const std::vector<TokenId> prompt = ctx.frontend.tokenize(prompt_text);
  const std::string id = "chatcmpl-" + random_id();
  const bool thinking = info.supports_thinking && req.prompt.enable_thinking.value_or(true);
  req.options.constraint.reasoning = reasoning_before_constraint(ctx, req.options, thinking, prompt_text);
  auto requests = make_generation_requests(ctx, req.options, prompt, id, arrival, PromptLimits{"messages", false});

  OutputParserOptions parser_options;
  parser_options.reasoning = thinking;
  parser_options.tools = !req.prompt.tools.empty();
  parser_options.rendered_prompt = prompt_text;
  std::vector<std::unique_ptr<OutputParser>> parsers;
  for (int i = 0; i < req.options.n; ++i) parsers.push_back(ctx.frontend.make_output_parser(parser_options));

  OpenAIChatWriterOptions writer_options;
  writer_options.id = id;
  writer_options.model = ctx.model_name();
  writer_options.created = unix_time_now();
  writer_options.stream = req.options.stream;
  writer_options.include_usage = req.options.include_usage;
  writer_options.logprobs = req.options.logprobs;
  run_generation(ctx, ex, std::move(requests), make_openai_chat_writer(writer_options, std::move(parsers)));
}

}  // namespace

void add_openai_chat_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/v1/chat/completions", ErrorStyle::kOpenAI,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_chat_completions(ctx, ex); });
}

}  // namespace hearth::server
