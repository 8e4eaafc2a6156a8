#include "chat/tool_call_parser.h"

#include "chat/jinja_error.h"
#include "chat/jinja_format.h"
#include "chat/reasoning_parser.h"

namespace hearth {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_tool_call_body(std::string_view body, ParsedToolCall& call) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(trim(body), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return false;
  auto args = j.find("arguments");
  if (args == j.end()) args = j.find("parameters");
  call.name = name->get<std::string>();
  if (args == j.end() || args->is_null()) {
    call.arguments = nlohmann::ordered_json::object();
  } else if (args->is_object() || args->is_string()) {
    call.arguments = *args;
  } else {
    return false;
  }
  if (call.arguments.is_string()) {
    call.arguments_text = call.arguments.get<std::string>();
    return true;
  }
  try {
    call.arguments_text = jinja::py_json_dumps(jinja::Value::from_json(call.arguments), jinja::JsonDumpOptions{});
  } catch (const jinja::RenderError&) {  // nested too deeply to re-serialise
    return false;
  }
  return true;
}

ToolCallParser::ToolCallParser(std::string open_tag, std::string close_tag)
    : open_tag_(std::move(open_tag)), close_tag_(std::move(close_tag)) {}

ToolCallDelta ToolCallParser::feed(std::string_view text) {
  pending_.append(text);
  ToolCallDelta out;
  drain(out, false);
  return out;
}

ToolCallDelta ToolCallParser::finish() {
  ToolCallDelta out;
  drain(out, true);
  if (in_call_) {  // unterminated: the model stopped mid-call
    emit_content(out, open_tag_ + pending_);
    pending_.clear();
    in_call_ = false;
  } else if (!pending_.empty()) {
    emit_content(out, pending_);
    pending_.clear();
  }
  out.content += held_space_;  // trailing whitespace of plain content is content
  held_space_.clear();
  return out;
}

// Content passes through, except whitespace that may only be formatting around a call: trailing
// whitespace waits to see whether a call follows, and whitespace right after a call is dropped.
void ToolCallParser::emit_content(ToolCallDelta& out, std::string_view text) {
  if (after_call_) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    if (text.empty()) return;
    after_call_ = false;
  }
  size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  if (end == 0) {
    held_space_.append(text);
    return;
  }
  out.content += held_space_;
  out.content.append(text.substr(0, end));
  held_space_.assign(text.substr(end));
}

void ToolCallParser::drain(ToolCallDelta& out, bool final) {
  while (true) {
    if (!in_call_) {
      size_t open = pending_.find(open_tag_);
      if (open == std::string::npos) {
        size_t keep = final ? pending_.size() : partial_tag_suffix(pending_, open_tag_);
        emit_content(out, std::string_view(pending_).substr(0, pending_.size() - keep));
        pending_.erase(0, pending_.size() - keep);
        return;
      }
      emit_content(out, std::string_view(pending_).substr(0, open));
      pending_.erase(0, open + open_tag_.size());
      in_call_ = true;
    }
    size_t close = pending_.find(close_tag_);
    if (close == std::string::npos) return;
    std::string_view body = std::string_view(pending_).substr(0, close);
    ParsedToolCall call;
    if (parse_tool_call_body(body, call)) {
      held_space_.clear();  // whitespace between content and the call is formatting
      out.calls.push_back(std::move(call));
      after_call_ = true;
    } else {
      emit_content(out, open_tag_ + std::string(body) + close_tag_);
    }
    pending_.erase(0, close + close_tag_.size());
    in_call_ = false;
  }
}

ToolCallDelta parse_tool_calls(std::string_view output) {
  ToolCallParser parser;
  ToolCallDelta out = parser.feed(output);
  ToolCallDelta tail = parser.finish();
  out.content += tail.content;
  for (auto& c : tail.calls) out.calls.push_back(std::move(c));
  return out;
}

}  // namespace hearth
