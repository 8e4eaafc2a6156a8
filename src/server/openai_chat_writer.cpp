#include "server/openai_chat_writer.h"

#include <nlohmann/json.hpp>

#include "server/json_util.h"
#include "server/openai_format.h"
#include "server/stream_framing.h"

namespace hearth::server {

namespace {

using nlohmann::json;

class OpenAIChatWriter final : public ResponseWriter {
 public:
  OpenAIChatWriter(OpenAIChatWriterOptions options, std::vector<std::unique_ptr<OutputParser>> parsers)
      : o_(std::move(options)) {
    for (auto& p : parsers) {
      choices_.emplace_back();
      choices_.back().parser = std::move(p);
    }
  }

  void start(Exchange& ex) override {
    if (!o_.stream) return;
    ex.begin_stream(200, sse_headers());
    for (std::size_t i = 0; i < choices_.size(); ++i) {
      send_chunk(ex, static_cast<int>(i), json{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr);
    }
  }

  void delta(Exchange& ex, int choice, const GenerationEvent& event) override {
    Choice& c = choices_[choice];
    ParsedDelta parsed = event.text.empty() ? ParsedDelta{} : c.parser->feed(event.text);
    json lp = nullptr;
    if (o_.logprobs && !event.logprobs.empty()) {
      json entries = chat_logprob_entries(event.logprobs);
      if (o_.stream) {
        lp = json{{"content", entries}};
      } else {
        for (auto& e : entries) c.logprobs.push_back(std::move(e));
      }
    }
    emit(ex, choice, parsed, lp);
  }

  void choice_finished(Exchange& ex, int choice, const GenerationEvent& event, const ChoiceTiming&) override {
    Choice& c = choices_[choice];
    emit(ex, choice, c.parser->finish(), nullptr);
    c.finish_reason = openai_finish_reason(event.finish_reason, !c.calls.empty());
    if (o_.stream) send_chunk(ex, choice, json::object(), nullptr, c.finish_reason);
  }

  void complete(Exchange& ex, const Usage& usage) override {
    if (o_.stream) return end_openai_stream(ex, chunk_base(), o_.include_usage, usage);
    json choices = json::array();
    for (std::size_t i = 0; i < choices_.size(); ++i) {
      const Choice& c = choices_[i];
      json message = {{"role", "assistant"}};
      message["content"] = c.content.empty() && !c.calls.empty() ? json(nullptr) : json(c.content);
      if (!c.reasoning.empty()) {
        message["reasoning_content"] = c.reasoning;
        message["reasoning"] = c.reasoning;
      }
      if (!c.calls.empty()) {
        json calls = json::array();
        for (const auto& call : c.calls) {
          calls.push_back({{"id", call.id},
                           {"type", "function"},
                           {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
        }
        message["tool_calls"] = calls;
      }
      choices.push_back({{"index", i},
                         {"message", message},
                         {"logprobs", o_.logprobs ? json{{"content", c.logprobs}} : json(nullptr)},
                         {"finish_reason", c.finish_reason}});
    }
    json body = {{"id", o_.id},       {"object", "chat.completion"}, {"created", o_.created},
                 {"model", o_.model}, {"choices", choices},          {"usage", openai_usage(usage)}};
    ex.respond(HttpResponse::json(200, dump_json(body)));
  }

  void fail(Exchange& ex, const ApiError& error, bool started) override {
    fail_openai_response(ex, error, o_.stream && started);
  }

 private:
  struct Choice {
    std::unique_ptr<OutputParser> parser;
    std::string content;
    std::string reasoning;
    std::vector<ToolCall> calls;
    json logprobs = json::array();
    std::string finish_reason = "stop";
  };

  json chunk_base() const {
    json chunk = {{"id", o_.id}, {"object", "chat.completion.chunk"}, {"created", o_.created}, {"model", o_.model}};
    if (o_.include_usage) chunk["usage"] = nullptr;
    return chunk;
  }

  void send_chunk(Exchange& ex, int choice, json delta, json logprobs, json finish_reason) {
    json chunk = chunk_base();
    chunk["choices"] = json::array({{{"index", choice},
                                     {"delta", std::move(delta)},
                                     {"logprobs", std::move(logprobs)},
                                     {"finish_reason", std::move(finish_reason)}}});
    ex.write(sse_event(dump_json(chunk)));
  }

  // Records parsed output; when streaming also sends it as one chunk.
  void emit(Exchange& ex, int choice, const ParsedDelta& parsed, json logprobs) {
    Choice& c = choices_[choice];
    c.content += parsed.content;
    c.reasoning += parsed.reasoning;
    json calls = json::array();
    for (const auto& d : parsed.tool_calls) {
      json entry = {{"index", d.index}};
      if (d.index >= static_cast<int>(c.calls.size())) {
        c.calls.resize(static_cast<std::size_t>(d.index) + 1);
        ToolCall& call = c.calls[static_cast<std::size_t>(d.index)];
        call.id = d.id.empty() ? "call_" + random_id() : d.id;
        call.name = d.name;
        entry["id"] = call.id;
        entry["type"] = "function";
        entry["function"] = {{"name", call.name}, {"arguments", d.arguments}};
      } else {
        entry["function"] = {{"arguments", d.arguments}};
      }
      c.calls[static_cast<std::size_t>(d.index)].arguments += d.arguments;
      calls.push_back(std::move(entry));
    }
    if (!o_.stream) return;
    json delta = json::object();
    if (!parsed.reasoning.empty()) {
      delta["reasoning_content"] = parsed.reasoning;
      delta["reasoning"] = parsed.reasoning;
    }
    if (!parsed.content.empty()) delta["content"] = parsed.content;
    if (!calls.empty()) delta["tool_calls"] = std::move(calls);
    if (delta.empty() && logprobs.is_null()) return;
    send_chunk(ex, choice, std::move(delta), std::move(logprobs), nullptr);
  }

  OpenAIChatWriterOptions o_;
  std::vector<Choice> choices_;
};

}  // namespace

std::unique_ptr<ResponseWriter> make_openai_chat_writer(OpenAIChatWriterOptions options,
                                                        std::vector<std::unique_ptr<OutputParser>> parsers) {
  return std::make_unique<OpenAIChatWriter>(std::move(options), std::move(parsers));
}

}  // namespace hearth::server
