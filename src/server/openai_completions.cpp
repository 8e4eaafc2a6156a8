// POST /v1/completions: raw prompts (text or token ids), n choices each; text_completion objects or an SSE
// stream of them.
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/generation_job.h"
#include "server/generation_setup.h"
#include "server/json_util.h"
#include "server/openai_format.h"
#include "server/openai_request.h"
#include "server/routes.h"
#include "server/stream_framing.h"

namespace hearth::server {

namespace {

using nlohmann::json;

struct CompletionWriterOptions {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  bool stream = false;
  bool include_usage = false;
  bool logprobs = false;
  std::vector<std::string> echo;  // per choice: the prompt text to put before the output (empty: no echo)
};

class CompletionWriter final : public ResponseWriter {
 public:
  CompletionWriter(CompletionWriterOptions options, std::size_t n_choices)
      : o_(std::move(options)), choices_(n_choices) {}

  void start(Exchange& ex) override {
    if (o_.stream) ex.begin_stream(200, sse_headers());
    for (std::size_t i = 0; i < choices_.size(); ++i) {
      if (i < o_.echo.size() && !o_.echo[i].empty()) emit(ex, static_cast<int>(i), o_.echo[i], {});
    }
  }

  void delta(Exchange& ex, int choice, const GenerationEvent& event) override {
    if (event.text.empty() && event.logprobs.empty()) return;
    emit(ex, choice, event.text, event.logprobs);
  }

  void choice_finished(Exchange& ex, int choice, const GenerationEvent& event, const ChoiceTiming&) override {
    Choice& c = choices_[choice];
    c.finish_reason = openai_finish_reason(event.finish_reason, false);
    if (o_.stream) send_chunk(ex, choice, "", nullptr, c.finish_reason);
  }

  void complete(Exchange& ex, const Usage& usage) override {
    if (o_.stream) return end_openai_stream(ex, chunk_base(), o_.include_usage, usage);
    json choices = json::array();
    for (std::size_t i = 0; i < choices_.size(); ++i) {
      const Choice& c = choices_[i];
      choices.push_back({{"index", i},
                         {"text", c.text},
                         {"logprobs", o_.logprobs ? c.logprobs.to_json() : json(nullptr)},
                         {"finish_reason", c.finish_reason}});
    }
    json body = chunk_base();
    body["choices"] = choices;
    body["usage"] = openai_usage(usage);
    ex.respond(HttpResponse::json(200, dump_json(body)));
  }

  void fail(Exchange& ex, const ApiError& error, bool started) override {
    fail_openai_response(ex, error, o_.stream && started);
  }

 private:
  struct Choice {
    std::string text;
    CompletionLogprobs logprobs;
    std::size_t text_offset = 0;
    std::string finish_reason = "stop";
  };

  json chunk_base() const {
    json chunk = {{"id", o_.id}, {"object", "text_completion"}, {"created", o_.created}, {"model", o_.model}};
    if (o_.stream && o_.include_usage) chunk["usage"] = nullptr;
    return chunk;
  }

  void send_chunk(Exchange& ex, int choice, const std::string& text, json logprobs, json finish_reason) {
    json chunk = chunk_base();
    chunk["choices"] = json::array({{{"index", choice},
                                     {"text", text},
                                     {"logprobs", std::move(logprobs)},
                                     {"finish_reason", std::move(finish_reason)}}});
    ex.write(sse_event(dump_json(chunk)));
  }

  void emit(Exchange& ex, int choice, const std::string& text, const std::vector<TokenLogprob>& logprobs) {
    Choice& c = choices_[choice];
    c.text += text;
    if (!o_.stream) {
      if (o_.logprobs) c.logprobs.add(logprobs, c.text_offset);
      return;
    }
    json lp = nullptr;
    if (o_.logprobs) {
      CompletionLogprobs piece;
      piece.add(logprobs, c.text_offset);
      lp = piece.to_json();
    }
    send_chunk(ex, choice, text, std::move(lp), nullptr);
  }

  CompletionWriterOptions o_;
  std::vector<Choice> choices_;
};

void handle_completions(ServerContext& ctx, const std::shared_ptr<Exchange>& ex) {
  const auto arrival = ex->request().received;
  CompletionRequest req = parse_openai_completion_request(parse_json_object_body(ex->request().body));
  check_model_name(ctx, req.options.model, ErrorStyle::kOpenAI);
  check_capabilities(ctx, req.options);

  const std::string id = "cmpl-" + random_id();
  CompletionWriterOptions writer_options{
      id, ctx.model_name(), unix_time_now(), req.options.stream, req.options.include_usage, req.options.logprobs, {}};
  std::vector<GenerationRequest> requests;
  for (std::size_t p = 0; p < req.prompts.size(); ++p) {
    const CompletionPrompt& prompt = req.prompts[p];
    std::vector<TokenId> tokens = prompt.tokens.empty() ? ctx.frontend.tokenize(prompt.text) : prompt.tokens;
    const std::string param = req.prompts.size() == 1 ? "prompt" : "prompt[" + std::to_string(p) + "]";
    auto batch =
        make_generation_requests(ctx, req.options, tokens, req.prompts.size() == 1 ? id : id + "/" + std::to_string(p),
                                 arrival, PromptLimits{param, false});
    for (auto& r : batch) {
      if (req.echo)
        writer_options.echo.push_back(prompt.tokens.empty() ? prompt.text : ctx.frontend.detokenize(tokens));
      requests.push_back(std::move(r));
    }
  }
  const std::size_t n_choices = requests.size();
  run_generation(ctx, ex, std::move(requests),
                 std::make_unique<CompletionWriter>(std::move(writer_options), n_choices));
}

}  // namespace

void add_openai_completion_routes(Router& router, ServerContext& ctx) {
  router.add("POST", "/v1/completions", ErrorStyle::kOpenAI,
             [&ctx](const std::shared_ptr<Exchange>& ex) { handle_completions(ctx, ex); });
}

}  // namespace hearth::server
