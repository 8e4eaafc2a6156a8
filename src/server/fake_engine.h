#pragma once
// A GenerationService and PromptFrontend without a model, so that the whole HTTP layer can be tested end to
// end (`hearth serve --fake-engine`). It behaves like the real engine where the HTTP layer can tell: one
// engine thread, a waiting queue, at most max_sequences running, one token per running sequence per step,
// stop strings, max_tokens, cancellation, loading/warm-up states, keep_alive unloading.
//
// Output is deterministic: every sequence produces the words of kFakeText, one token per word, and stops
// (finish reason "stop") after the last one; ignore_eos repeats them. Prompts are tokenized one token per
// byte (ids 0..255), so prompt_tokens is the rendered prompt's length in bytes. Two markers in the prompt
// switch to scripts that exercise the output parsers:
//   [[fake:think]]  "<think>\nLet me think.\n</think>\n\n" followed by kFakeText (reasoning models)
//   [[fake:tool]]   one Qwen-style call: <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}
//                   \n</tool_call>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "server/engine_interface.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

inline constexpr const char* kFakeText =
    "Hello from Hearth! This is the fake engine speaking. The quick brown fox jumps over the lazy dog.";

// The fake's output tokens: kFakeText split before each space and punctuation mark.
const std::vector<std::string>& fake_output_words();
inline constexpr TokenId kFakeFirstWordId = 1000;
// Every piece of text the fake can emit; piece i is token kFakeFirstWordId + i.
const std::vector<std::string>& fake_vocabulary();
// The tokens the fake engine produces for a prompt (see the markers above), before end of generation.
std::vector<TokenId> fake_script(std::string_view prompt_text);

struct FakeEngineOptions {
  std::string model_name = "fake";
  int context_length = 4096;
  int max_sequences = 4;
  std::chrono::milliseconds token_delay{0};  // sleep per engine step
  std::chrono::milliseconds load_time{0};    // time spent "loading" at start and on reload
  std::chrono::milliseconds warmup_time{0};  // time spent "warming up" after loading
};

class FakeGenerationService final : public GenerationService {
 public:
  explicit FakeGenerationService(FakeEngineOptions options);
  ~FakeGenerationService() override;

  const ModelInfo& model_info() const override { return info_; }
  RequestId submit(GenerationRequest request, EventSink sink) override;
  void cancel(RequestId id) override;
  ServiceStats stats() const override;
  void request_unload() override;
  void shutdown() override;

 private:
  struct Sequence;
  void engine_loop();
  void load(std::unique_lock<std::mutex>& lock);  // simulates loading and warm-up; releases the lock meanwhile
  // One step: produces a token for every running sequence; returns the events to deliver.
  void step(std::vector<std::pair<EventSink*, GenerationEvent>>& out, std::vector<std::unique_ptr<Sequence>>& done);

  FakeEngineOptions options_;
  ModelInfo info_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Sequence>> waiting_;
  std::vector<std::unique_ptr<Sequence>> running_;
  std::unordered_set<RequestId> cancelled_;
  RequestId next_id_ = 1;
  ServiceState state_ = ServiceState::kLoading;
  bool unload_requested_ = false;
  bool stopping_ = false;
  std::int64_t prefix_queries_ = 0;
  std::int64_t prefix_hits_ = 0;
  std::int64_t load_duration_ns_ = 0;
  std::vector<TokenId> last_prompt_;
  std::thread thread_;
};

// ChatML rendering (or config prompt_template with {{input}}), one token per byte, src/chat's output parser.
class FakePromptFrontend final : public PromptFrontend {
 public:
  explicit FakePromptFrontend(std::string prompt_template = {}) : prompt_template_(std::move(prompt_template)) {}
  std::string render_chat(const ChatPromptInput& input) const override;
  std::vector<TokenId> tokenize(std::string_view text) const override;
  std::string detokenize(const std::vector<TokenId>& tokens) const override;
  std::unique_ptr<OutputParser> make_output_parser(const OutputParserOptions& options) const override;  // src/chat's

 private:
  std::string prompt_template_;
};

}  // namespace hearth::server
