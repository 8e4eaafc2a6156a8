#pragma once
// The contract between the HTTP layer and whatever generates tokens (the continuous-batching scheduler, or
// FakeGenerationService in tests). Nothing here knows about HTTP or JSON.
//
// Threading rule (the whole serving path follows it):
//   * HTTP I/O threads (a few) parse and validate requests, render chat templates and tokenize prompts
//     (PromptFrontend), then call GenerationService::submit(). They also turn events into JSON/SSE/NDJSON.
//   * One engine thread owns the model, the KV cache and the batch. It never parses JSON, never renders
//     templates and never blocks on a client: it only pushes typed GenerationEvents into each request's
//     EventSink, which is a thread-safe queue that wakes the request's I/O strand.
//   * submit(), cancel(), stats(), state() and request_unload() are thread-safe and never block on
//     generation (they take a short lock or push into a queue read by the engine thread).
//
// Lifecycle of one request (one sequence; the HTTP layer fans `n` choices out into n submissions):
//   submit() -> [kScheduled] -> kDelta* -> exactly one terminal event (kFinished or kError)
// cancel() is idempotent and may race with completion; the request still gets exactly one terminal event
// (kFinished with FinishReason::kCancelled unless it had already finished). After the terminal event the
// service drops its EventSink, so everything the sink captures is released.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hearth::server {

using Clock = std::chrono::steady_clock;
using TokenId = std::int32_t;
using RequestId = std::uint64_t;

// Sampling parameters as the client sent them; unset fields take the model's defaults
// (generation_config.json), then the engine's (temperature 1, top_p 1, top_k off, min_p 0).
struct SamplingParams {
  std::optional<float> temperature;                   // 0 = greedy
  std::optional<float> top_p;                         // (0, 1]
  std::optional<int> top_k;                           // <= 0 = off
  std::optional<float> min_p;                         // [0, 1]
  std::optional<std::uint64_t> seed;                  // unset: random per request
  std::optional<float> presence_penalty;              // [-2, 2], OpenAI semantics; unset: the model's default (0)
  std::optional<float> frequency_penalty;             // [-2, 2], OpenAI semantics; unset: the model's default (0)
  std::optional<float> repetition_penalty;            // > 0, 1 = off (llama.cpp/transformers semantics)
  std::optional<int> repeat_last_n;                   // window for repetition_penalty (-1: all, 0: off); unset: 64
  std::vector<std::pair<TokenId, float>> logit_bias;  // added to the logits before sampling
};

// Output constraint enforced during sampling so that the text always parses (and validates).
struct OutputConstraint {
  enum class Kind { kNone, kJsonObject, kJsonSchema };
  Kind kind = Kind::kNone;
  std::string json_schema;  // kJsonSchema: the schema, serialized as compact JSON text

  // A reasoning model with thinking on writes a reasoning block (<think>…</think>) before its answer. The
  // constraint then applies to the answer only, from the token after `close` (as vLLM does with a reasoning
  // parser), so that `content` parses while `reasoning_content` holds the thinking.
  struct Reasoning {
    std::optional<TokenId> open;  // forced as the first token when set (the prompt did not open the block)
    TokenId close = 0;            // ends the block
    // Tokens the block may take, its tags included; at the limit `close` is forced so that the answer still
    // gets the rest of max_tokens. <= 0: half of the request's max_tokens (at least 2).
    // Inside the block the engine does not let the output end (no end-of-generation or stop token), so an
    // answer always follows it.
    int max_tokens = 0;
  };
  std::optional<Reasoning> reasoning;  // unset: the constraint applies from the first generated token

  // A forced tool call (tool_choice "required" or a named function): the JSON document is the call's
  // {"name", "arguments"} object between the chat template's tags. `open` is forced token by token before
  // the document, `close` may only come once the document is complete and must come before the output ends;
  // after it only the end of generation may follow, or, with `repeat`, another call: `between` and `open`
  // (forced once their first token is drawn) and a new document (the model's own logits choose between
  // the end and another call).
  struct Frame {
    std::vector<TokenId> open;  // e.g. <tool_call> "\n"
    TokenId close = 0;          // e.g. </tool_call>: a special token the JSON document itself never contains
    bool repeat = false;           // parallel_tool_calls
    std::vector<TokenId> between;  // e.g. "\n": what the template writes between two calls
  };
  std::optional<Frame> frame;  // unset: the document is the whole answer
};

struct GenerationRequest {
  std::string id;               // for logs ("chatcmpl-…#0")
  std::vector<TokenId> prompt;  // already rendered and tokenized; never empty
  SamplingParams sampling;
  // Tokens to generate at most. The HTTP layer resolves it so that prompt.size() + max_tokens <= the
  // context length (ModelInfo::context_length); the engine stops with kLength when it is reached.
  int max_tokens = 16;
  std::vector<std::string> stop;        // stop strings: generation ends before them; never in the output
  std::vector<TokenId> stop_token_ids;  // extra end-of-generation tokens (the model's EOS always stops)
  bool ignore_eos = false;
  // Log-probabilities: when `logprobs` is set every kDelta carries one TokenLogprob per token, each with
  // the `top_logprobs` most likely alternatives (0..20).
  bool logprobs = false;
  int top_logprobs = 0;
  OutputConstraint constraint;
  Clock::time_point arrival = Clock::now();  // when the HTTP request arrived (for queue-time metrics)
};

enum class FinishReason {
  kStop,       // end-of-generation token, a stop token or a stop string
  kLength,     // max_tokens or the context length reached
  kCancelled,  // cancel() (client gone, shed by admission control, shutdown)
};

struct TopLogprob {
  TokenId token = 0;
  std::string text;  // the token's bytes (may be an incomplete UTF-8 sequence)
  float logprob = 0;
};

struct TokenLogprob {
  TokenId token = 0;
  std::string text;
  float logprob = 0;
  std::vector<TopLogprob> top;  // most likely first
};

struct Usage {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_prompt_tokens = 0;  // prompt tokens served from the prefix cache
};

struct GenerationEvent {
  enum class Kind {
    kScheduled,  // left the waiting queue: its first prompt chunk is in a batch
    kDelta,      // new output
    kFinished,   // terminal: finish_reason and usage are set
    kError,      // terminal: `error` says what went wrong (the engine failed, not the client)
  };
  Kind kind = Kind::kDelta;
  Clock::time_point time = Clock::now();  // when the engine produced it
  // kDelta: text that is final (complete UTF-8, never part of a possible stop string) and the tokens
  // committed since the previous delta. A delta may carry tokens but no text yet (a partial UTF-8
  // character or a possible stop-string prefix is held back) and text flushed from earlier tokens.
  std::string text;
  std::vector<TokenId> tokens;
  std::vector<TokenLogprob> logprobs;  // when requested: one per token in `tokens`
  // kFinished
  FinishReason finish_reason = FinishReason::kStop;
  std::string stop_string;            // the stop string that matched, when one did
  std::optional<TokenId> stop_token;  // the token that stopped generation, when one did
  Usage usage;
  // kError
  std::string error;
};

// Receives a request's events. Called on the engine thread, one call at a time per request, in order.
// Must not block and must not throw.
using EventSink = std::function<void(GenerationEvent&&)>;

struct ModelInfo {
  std::string name;             // the served model name clients use
  std::string path;             // where it was loaded from
  std::string architecture;     // "qwen3moe"
  std::string family;           // "qwen3"
  std::string parameter_size;   // "30.5B"
  std::string quantization;     // "Q4_K_M", "F16"...
  std::string format = "gguf";  // gguf | safetensors
  std::string digest;           // content digest when known ("sha256:…")
  std::int64_t size_bytes = 0;  // weights on disk
  int context_length = 0;       // tokens per sequence (config engine.context, else the model's maximum)
  int vocab_size = 0;
  std::string chat_template;      // the template in effect (for /api/show)
  std::int64_t created_unix = 0;  // file modification time
  // What the engine can do; requests needing something missing get a clear 400/501.
  bool supports_embeddings = false;
  bool supports_constraints = false;  // response_format json_object / json_schema
  bool supports_logprobs = true;
  bool supports_tools = false;     // the template renders tools and the output parser knows the format
  bool supports_thinking = false;  // the template accepts enable_thinking
  // max_tokens when a request names none (a store model's num_predict PARAMETER); unset: up to the context.
  std::optional<int> default_max_tokens;
};

enum class ServiceState {
  kLoading,  // weights being loaded (at start, or reloaded on demand after keep_alive unloading)
  kWarming,  // warm-up forward passes running
  kReady,
  kUnloaded,  // unloaded after keep_alive; the next submit() reloads it
  kFailed,    // loading failed; `stats().error` says why
};

struct ServiceStats {
  ServiceState state = ServiceState::kLoading;
  std::string error;
  int waiting = 0;                        // sequences submitted but not yet scheduled
  int running = 0;                        // sequences in the batch
  double kv_cache_usage = 0;              // share of KV cache blocks in use, [0, 1]
  std::int64_t prefix_cache_queries = 0;  // prompt tokens looked up in the prefix cache (total)
  std::int64_t prefix_cache_hits = 0;     // of which were found (total)
  std::int64_t device_memory_used = -1;   // bytes; -1 when there is no GPU backend
  std::int64_t device_memory_total = -1;
  std::int64_t load_duration_ns = 0;  // the last load, for Ollama's load_duration
};

class GenerationService {
 public:
  virtual ~GenerationService() = default;

  // Stable for the lifetime of the service (also while unloaded).
  virtual const ModelInfo& model_info() const = 0;

  // Queues a request. REQUIRES: the request is valid (the HTTP layer validated and resolved it).
  // Returns the id used by cancel(). Never blocks on generation; if the model is unloaded it is reloaded
  // on the engine thread and the request waits in the queue meanwhile.
  virtual RequestId submit(GenerationRequest request, EventSink sink) = 0;

  // Stops a request as soon as possible and frees its KV cache. Unknown or finished ids are ignored.
  virtual void cancel(RequestId id) = 0;

  virtual ServiceStats stats() const = 0;

  // Unloads the weights once nothing is waiting or running (keep_alive expired). Idempotent.
  virtual void request_unload() = 0;

  // Cancels everything, finishes every request with a terminal event and stops the engine thread.
  // Called once, after the HTTP server has stopped.
  virtual void shutdown() = 0;
};

}  // namespace hearth::server
