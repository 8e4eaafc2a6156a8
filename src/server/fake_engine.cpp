#include "server/fake_engine.h"

#include <algorithm>

#include "server/chat_output_adapter.h"
#include "server/stop_matcher.h"

namespace hearth::server {

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    bool boundary = c == ' ' || c == '.' || c == '!' || c == ',';
    if (boundary && !cur.empty() && !(c != ' ' && cur.back() == ' ')) {
      words.push_back(cur);
      cur.clear();
    }
    cur += c;
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

}  // namespace

const std::vector<std::string>& fake_output_words() {
  static const std::vector<std::string> words = split_words(kFakeText);
  return words;
}

namespace {
const std::vector<std::string> kThinkPieces = {"<think>", "\n", "Let", " me", " think", ".", "\n", "</think>", "\n\n"};
const std::vector<std::string> kToolPieces = {
    "<tool_call>", "\n", "{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Paris\"}}", "\n", "</tool_call>"};
}  // namespace

const std::vector<std::string>& fake_vocabulary() {
  static const std::vector<std::string> vocab = [] {
    std::vector<std::string> v = fake_output_words();
    v.insert(v.end(), kThinkPieces.begin(), kThinkPieces.end());
    v.insert(v.end(), kToolPieces.begin(), kToolPieces.end());
    return v;
  }();
  return vocab;
}

std::vector<TokenId> fake_script(std::string_view prompt_text) {
  const auto n_words = static_cast<TokenId>(fake_output_words().size());
  std::vector<TokenId> words(static_cast<std::size_t>(n_words));
  for (TokenId i = 0; i < n_words; ++i) words[static_cast<std::size_t>(i)] = kFakeFirstWordId + i;
  auto pieces = [](TokenId first, std::size_t n) {
    std::vector<TokenId> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = first + static_cast<TokenId>(i);
    return ids;
  };
  if (prompt_text.find("[[fake:tool]]") != std::string_view::npos) {
    return pieces(kFakeFirstWordId + n_words + static_cast<TokenId>(kThinkPieces.size()), kToolPieces.size());
  }
  if (prompt_text.find("[[fake:think]]") != std::string_view::npos) {
    auto script = pieces(kFakeFirstWordId + n_words, kThinkPieces.size());
    script.insert(script.end(), words.begin(), words.end());
    return script;
  }
  return words;
}

struct FakeGenerationService::Sequence {
  RequestId id = 0;
  GenerationRequest request;
  std::vector<TokenId> script;
  EventSink sink;
  int produced = 0;
  bool scheduled = false;
  std::unique_ptr<StopMatcher> stops;
};

FakeGenerationService::FakeGenerationService(FakeEngineOptions options) : options_(std::move(options)) {
  info_.name = options_.model_name;
  info_.path = "(fake engine)";
  info_.architecture = "fake";
  info_.family = "fake";
  info_.parameter_size = "0";
  info_.quantization = "F32";
  info_.format = "fake";
  info_.context_length = options_.context_length;
  info_.vocab_size = kFakeFirstWordId + static_cast<int>(fake_vocabulary().size());
  info_.chat_template = "(ChatML)";
  info_.supports_tools = true;
  info_.supports_thinking = true;
  // Nothing to wait for: ready from the start (otherwise the engine thread "loads" first).
  if (options_.load_time.count() == 0 && options_.warmup_time.count() == 0) state_ = ServiceState::kReady;
  thread_ = std::thread([this] { engine_loop(); });
}

FakeGenerationService::~FakeGenerationService() { shutdown(); }

RequestId FakeGenerationService::submit(GenerationRequest request, EventSink sink) {
  auto seq = std::make_unique<Sequence>();
  seq->request = std::move(request);
  seq->sink = std::move(sink);
  seq->stops = std::make_unique<StopMatcher>(seq->request.stop);
  std::string prompt_text;
  for (TokenId t : seq->request.prompt) {
    if (t >= 0 && t < 256) prompt_text += static_cast<char>(t);
  }
  seq->script = fake_script(prompt_text);
  std::lock_guard lock(mutex_);
  seq->id = next_id_++;
  RequestId id = seq->id;
  if (stopping_) {
    GenerationEvent e;
    e.kind = GenerationEvent::Kind::kFinished;
    e.finish_reason = FinishReason::kCancelled;
    e.usage.prompt_tokens = static_cast<int>(seq->request.prompt.size());
    seq->sink(std::move(e));
    return id;
  }
  waiting_.push_back(std::move(seq));
  wake_.notify_all();
  return id;
}

void FakeGenerationService::cancel(RequestId id) {
  std::lock_guard lock(mutex_);
  cancelled_.insert(id);
  wake_.notify_all();
}

ServiceStats FakeGenerationService::stats() const {
  std::lock_guard lock(mutex_);
  ServiceStats s;
  s.state = state_;
  s.waiting = static_cast<int>(waiting_.size());
  s.running = static_cast<int>(running_.size());
  std::int64_t used = 0;
  for (const auto& seq : running_) used += static_cast<std::int64_t>(seq->request.prompt.size()) + seq->produced;
  const double capacity = static_cast<double>(options_.max_sequences) * options_.context_length;
  s.kv_cache_usage = std::min(1.0, static_cast<double>(used) / capacity);
  s.prefix_cache_queries = prefix_queries_;
  s.prefix_cache_hits = prefix_hits_;
  s.load_duration_ns = load_duration_ns_;
  return s;
}

void FakeGenerationService::request_unload() {
  std::lock_guard lock(mutex_);
  unload_requested_ = true;
  wake_.notify_all();
}

void FakeGenerationService::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void FakeGenerationService::load(std::unique_lock<std::mutex>& lock) {
  auto start = Clock::now();
  state_ = ServiceState::kLoading;
  wake_.wait_for(lock, options_.load_time, [&] { return stopping_; });
  state_ = ServiceState::kWarming;
  wake_.wait_for(lock, options_.warmup_time, [&] { return stopping_; });
  load_duration_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  if (!stopping_) state_ = ServiceState::kReady;
}

void FakeGenerationService::step(std::vector<std::pair<EventSink*, GenerationEvent>>& out,
                                 std::vector<std::unique_ptr<Sequence>>& done) {
  const auto& vocab = fake_vocabulary();
  const auto now = Clock::now();
  for (auto it = running_.begin(); it != running_.end();) {
    Sequence& seq = **it;
    GenerationEvent finished;
    finished.kind = GenerationEvent::Kind::kFinished;
    finished.time = now;
    finished.usage.prompt_tokens = static_cast<int>(seq.request.prompt.size());
    bool finish = false;

    if (cancelled_.count(seq.id)) {
      finished.finish_reason = FinishReason::kCancelled;
      finish = true;
    } else if (seq.produced >= seq.request.max_tokens) {
      finished.finish_reason = FinishReason::kLength;
      finish = true;
    } else {
      const std::size_t w = static_cast<std::size_t>(seq.produced) % seq.script.size();
      const bool end_of_text = seq.produced > 0 && w == 0 && !seq.request.ignore_eos;
      const TokenId token = seq.script[w];
      const std::string& piece = vocab[static_cast<std::size_t>(token - kFakeFirstWordId)];
      if (end_of_text) {
        finished.finish_reason = FinishReason::kStop;
        finish = true;
      } else if (std::find(seq.request.stop_token_ids.begin(), seq.request.stop_token_ids.end(), token) !=
                 seq.request.stop_token_ids.end()) {
        finished.finish_reason = FinishReason::kStop;
        finished.stop_token = token;
        ++seq.produced;
        finish = true;
      } else {
        ++seq.produced;
        GenerationEvent delta;
        delta.kind = GenerationEvent::Kind::kDelta;
        delta.time = now;
        delta.tokens = {token};
        auto matched = seq.stops->feed(piece);
        delta.text = std::move(matched.text);
        if (seq.request.logprobs) {
          TokenLogprob lp;
          lp.token = token;
          lp.text = piece;
          lp.logprob = -0.25f - 0.05f * static_cast<float>(w % 4);
          for (int k = 0; k < seq.request.top_logprobs; ++k) {
            const std::size_t alt =
                (static_cast<std::size_t>(token - kFakeFirstWordId) + static_cast<std::size_t>(k)) % vocab.size();
            lp.top.push_back(TopLogprob{kFakeFirstWordId + static_cast<TokenId>(alt), vocab[alt],
                                        k == 0 ? lp.logprob : lp.logprob - 1.0f * static_cast<float>(k)});
          }
          delta.logprobs.push_back(std::move(lp));
        }
        out.emplace_back(&seq.sink, std::move(delta));
        if (matched.stopped) {
          finished.finish_reason = FinishReason::kStop;
          finished.stop_string = matched.matched;
          finish = true;
        }
      }
    }
    if (finish && finished.finish_reason != FinishReason::kCancelled && finished.stop_string.empty()) {
      // Text held back as a possible stop-string prefix is released at the end.
      std::string rest = seq.stops->flush();
      if (!rest.empty()) {
        GenerationEvent tail;
        tail.kind = GenerationEvent::Kind::kDelta;
        tail.time = now;
        tail.text = std::move(rest);
        out.emplace_back(&seq.sink, std::move(tail));
      }
    }
    if (finish) {
      finished.usage.completion_tokens = seq.produced;
      out.emplace_back(&seq.sink, std::move(finished));
      cancelled_.erase(seq.id);
      done.push_back(std::move(*it));
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void FakeGenerationService::engine_loop() {
  std::unique_lock lock(mutex_);
  if (state_ != ServiceState::kReady) load(lock);
  while (true) {
    std::vector<std::pair<EventSink*, GenerationEvent>> events;
    std::vector<std::unique_ptr<Sequence>> done;  // kept alive until their events are delivered

    if (stopping_) {
      for (auto& seq : waiting_) running_.push_back(std::move(seq));
      waiting_.clear();
      for (auto& seq : running_) cancelled_.insert(seq->id);
    }
    // Cancelled requests that never started finish right away.
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (cancelled_.erase((*it)->id)) {
        GenerationEvent e;
        e.kind = GenerationEvent::Kind::kFinished;
        e.finish_reason = FinishReason::kCancelled;
        e.usage.prompt_tokens = static_cast<int>((*it)->request.prompt.size());
        events.emplace_back(&(*it)->sink, std::move(e));
        done.push_back(std::move(*it));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    if (!stopping_) {
      if (unload_requested_ && waiting_.empty() && running_.empty()) {
        unload_requested_ = false;
        state_ = ServiceState::kUnloaded;
      }
      if (state_ == ServiceState::kUnloaded && !waiting_.empty()) load(lock);
      while (state_ == ServiceState::kReady && !waiting_.empty() &&
             static_cast<int>(running_.size()) < options_.max_sequences) {
        auto seq = std::move(waiting_.front());
        waiting_.pop_front();
        const auto& prompt = seq->request.prompt;
        std::size_t common = 0;
        while (common < prompt.size() && common < last_prompt_.size() && prompt[common] == last_prompt_[common]) {
          ++common;
        }
        prefix_queries_ += static_cast<std::int64_t>(prompt.size());
        prefix_hits_ += static_cast<std::int64_t>(common);
        last_prompt_ = prompt;
        GenerationEvent e;
        e.kind = GenerationEvent::Kind::kScheduled;
        events.emplace_back(&seq->sink, std::move(e));
        running_.push_back(std::move(seq));
      }
    }
    if (!running_.empty()) step(events, done);

    // Sinks are called without the lock: a sink may call back into submit() or cancel().
    lock.unlock();
    for (auto& [sink, event] : events) (*sink)(std::move(event));
    events.clear();
    done.clear();
    lock.lock();

    if (stopping_ && waiting_.empty() && running_.empty()) break;
    if (!running_.empty()) {
      if (options_.token_delay.count() > 0) {
        wake_.wait_for(lock, options_.token_delay, [&] { return stopping_; });
      }
    } else {
      wake_.wait(lock, [&] {
        return stopping_ || unload_requested_ ||
               (!waiting_.empty() && (state_ == ServiceState::kReady || state_ == ServiceState::kUnloaded)) ||
               !cancelled_.empty();
      });
      // Ids cancelled after they finished are never seen again.
      if (waiting_.empty() && running_.empty()) cancelled_.clear();
    }
  }
  state_ = ServiceState::kUnloaded;
}

std::string FakePromptFrontend::render_chat(const ChatPromptInput& input) const {
  if (!prompt_template_.empty()) {
    std::string user;
    for (const auto& m : input.messages) {
      if (m.role == "user") user = m.content;
    }
    // {{input}} (spaces allowed inside the braces) becomes the last user message.
    std::string out;
    std::size_t pos = 0;
    while (true) {
      std::size_t open = prompt_template_.find("{{", pos);
      if (open == std::string::npos) break;
      std::size_t close = prompt_template_.find("}}", open + 2);
      if (close == std::string::npos) break;
      std::string name = prompt_template_.substr(open + 2, close - open - 2);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      out += prompt_template_.substr(pos, open - pos);
      out += name == "input" ? user : prompt_template_.substr(open, close + 2 - open);
      pos = close + 2;
    }
    return out + prompt_template_.substr(pos);
  }
  std::string out;
  if (!input.tools.empty()) {
    out += "<|im_start|>system\n# Tools\n";
    for (const auto& t : input.tools) out += t.name + ": " + t.description + "\n";
    out += "<|im_end|>\n";
  }
  for (const auto& m : input.messages) {
    out += "<|im_start|>" + m.role + "\n" + m.content;
    for (const auto& call : m.tool_calls) out += "<tool_call>" + call.name + " " + call.arguments + "</tool_call>";
    out += "<|im_end|>\n";
  }
  if (input.add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (input.enable_thinking == false) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

std::vector<TokenId> FakePromptFrontend::tokenize(std::string_view text) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size());
  for (unsigned char c : text) ids.push_back(c);
  return ids;
}

std::string FakePromptFrontend::detokenize(const std::vector<TokenId>& tokens) const {
  const auto& words = fake_vocabulary();
  std::string out;
  for (TokenId t : tokens) {
    if (t >= 0 && t < 256) {
      out += static_cast<char>(t);
    } else if (t >= kFakeFirstWordId && t < kFakeFirstWordId + static_cast<TokenId>(words.size())) {
      out += words[t - kFakeFirstWordId];
    }
  }
  return out;
}

std::unique_ptr<OutputParser> FakePromptFrontend::make_output_parser(const OutputParserOptions& options) const {
  return make_chat_output_parser(options);
}

}  // namespace hearth::server
