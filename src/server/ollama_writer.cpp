#include "server/ollama_writer.h"

#include <nlohmann/json.hpp>

#include "server/json_util.h"
#include "server/stream_framing.h"

namespace hearth::server {

namespace {

using nlohmann::json;

std::int64_t nanos(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

class OllamaWriter final : public ResponseWriter {
 public:
  OllamaWriter(OllamaWriterOptions options, std::unique_ptr<OutputParser> parser)
      : o_(std::move(options)), parser_(std::move(parser)), context_(o_.prompt) {}

  void start(Exchange& ex) override {
    if (o_.stream) ex.begin_stream(200, ndjson_headers());
  }

  void delta(Exchange& ex, int, const GenerationEvent& event) override {
    context_.insert(context_.end(), event.tokens.begin(), event.tokens.end());
    if (!event.text.empty()) emit(ex, parser_->feed(event.text));
  }

  void choice_finished(Exchange& ex, int, const GenerationEvent& event, const ChoiceTiming& timing) override {
    emit(ex, parser_->finish());
    if (o_.stream && !calls_.empty()) {  // Ollama sends tool calls whole, once they are complete
      json line = base();
      json message = {{"role", "assistant"}, {"content", ""}, {"tool_calls", tool_calls_json()}};
      line["message"] = message;
      line["done"] = false;
      ex.write(ndjson_line(dump_json(line)));
    }
    done_reason_ = event.finish_reason == FinishReason::kLength ? "length" : "stop";
    const auto scheduled = timing.scheduled.value_or(timing.arrival);
    const auto first = timing.first_token.value_or(timing.finished);
    stats_ = {{"total_duration", nanos(timing.finished - timing.arrival)},
              {"load_duration", 0},
              {"prompt_eval_count", event.usage.prompt_tokens},
              {"prompt_eval_duration", nanos(first - scheduled)},
              {"eval_count", event.usage.completion_tokens},
              {"eval_duration", nanos(timing.finished - first)}};
  }

  void complete(Exchange& ex, const Usage&) override {
    json line = base();
    if (o_.chat) {
      json message = {{"role", "assistant"}, {"content", o_.stream ? "" : content_}};
      if (!o_.stream && !thinking_.empty()) message["thinking"] = thinking_;
      if (!o_.stream && !calls_.empty()) message["tool_calls"] = tool_calls_json();
      line["message"] = message;
    } else {
      line["response"] = o_.stream ? "" : content_;
      if (!o_.stream && !thinking_.empty()) line["thinking"] = thinking_;
    }
    line["done"] = true;
    line["done_reason"] = done_reason_;
    if (!o_.chat) line["context"] = context_;
    for (auto& [k, v] : stats_.items()) line[k] = v;
    if (o_.stream) {
      ex.write(ndjson_line(dump_json(line)));
      ex.end_stream();
    } else {
      ex.respond(HttpResponse::json(200, dump_json(line)));
    }
  }

  void fail(Exchange& ex, const ApiError& error, bool started) override {
    if (o_.stream && started) {
      ex.write(ndjson_line(error_json(error, ErrorStyle::kOllama)));
      ex.end_stream();
    } else {
      ex.respond(error_response(error, ErrorStyle::kOllama));
    }
  }

 private:
  json base() const { return {{"model", o_.model}, {"created_at", rfc3339_now()}}; }

  json tool_calls_json() const {
    json calls = json::array();
    for (const auto& c : calls_) {
      json args = json::parse(c.arguments, nullptr, /*allow_exceptions=*/false);
      if (args.is_discarded()) args = c.arguments;  // keep what the model wrote rather than drop it
      calls.push_back({{"function", {{"name", c.name}, {"arguments", args}}}});
    }
    return calls;
  }

  void emit(Exchange& ex, const ParsedDelta& parsed) {
    for (const auto& d : parsed.tool_calls) {
      if (d.index >= static_cast<int>(calls_.size())) {
        calls_.resize(static_cast<std::size_t>(d.index) + 1);
        calls_[static_cast<std::size_t>(d.index)].name = d.name;
      }
      calls_[static_cast<std::size_t>(d.index)].arguments += d.arguments;
    }
    if (!o_.stream) {
      content_ += parsed.content;
      thinking_ += parsed.reasoning;
      return;
    }
    if (parsed.content.empty() && parsed.reasoning.empty()) return;
    json line = base();
    if (o_.chat) {
      json message = {{"role", "assistant"}, {"content", parsed.content}};
      if (!parsed.reasoning.empty()) message["thinking"] = parsed.reasoning;
      line["message"] = message;
    } else {
      line["response"] = parsed.content;
      if (!parsed.reasoning.empty()) line["thinking"] = parsed.reasoning;
    }
    line["done"] = false;
    ex.write(ndjson_line(dump_json(line)));
  }

  OllamaWriterOptions o_;
  std::unique_ptr<OutputParser> parser_;
  std::vector<TokenId> context_;
  std::string content_;
  std::string thinking_;
  std::vector<ToolCall> calls_;
  std::string done_reason_ = "stop";
  json stats_ = json::object();
};

}  // namespace

std::unique_ptr<ResponseWriter> make_ollama_writer(OllamaWriterOptions options, std::unique_ptr<OutputParser> parser) {
  return std::make_unique<OllamaWriter>(std::move(options), std::move(parser));
}

}  // namespace hearth::server
