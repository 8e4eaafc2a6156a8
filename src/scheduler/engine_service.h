#pragma once
// The real GenerationService behind `hearth serve`: one engine thread owns the model, the paged KV cache
// (PrefixBlockPool + KvCache) and the Scheduler, and runs continuous-batching steps while there is work.
// See server/engine_interface.h for the contract and scheduler.h for what a step does.
//
// Lifecycle: the constructor opens the model's metadata and tokenizer (fast; a bad model fails here, so the
// CLI reports it before listening) and starts the engine thread, which loads the weights (kLoading), warms
// up with real forward passes through the prefill and decode paths (kWarming) and serves (kReady).
// request_unload() unloads the weights and the cache once nothing is waiting or running (kUnloaded); the
// next submit() reloads them on the engine thread while the request waits. A load failure is kFailed with
// stats().error, and every request then ends with kError.
//
// Thread safety: every public method may be called from any thread (a short lock); sinks are called on
// the engine thread without the lock held, so a sink may call submit() or cancel().
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "config/config.h"
#include "engine/sampler.h"
#include "format/model_files.h"
#include "model/model.h"
#include "scheduler/logits_constraint.h"
#include "scheduler/scheduler.h"
#include "server/engine_interface.h"
#include "store/resolve.h"
#include "tokenizer/tokenizer.h"

namespace hearth::scheduler {

struct EngineOptions {
  std::string model;              // GGUF file, Hugging Face folder or store name
  std::string served_model_name;  // the name clients use (default: the model reference)
  config::EngineConfig engine;    // batch size, memory share, context, warm-up, threads, sequences, blocks...
  std::string chat_template;      // the template in effect, for model_info() (default: the model's own)
  // Exact KV cache size in tokens instead of the memory budget (tests of preemption); the context length
  // is then not reduced to fit it.
  std::optional<std::int64_t> kv_cache_tokens;
  // response_format enforcement: a custom factory, or json_constraints for src/constrain's JSON / JSON Schema
  // masks over the model's vocabulary (built at start). Neither: constrained requests are refused.
  ConstraintFactory constraints;
  bool json_constraints = false;
};

class EngineService final : public server::GenerationService {
 public:
  // Throws hearth::Error when the model cannot be opened or the configuration is unusable.
  explicit EngineService(EngineOptions options);
  ~EngineService() override;

  const server::ModelInfo& model_info() const override { return info_; }
  server::RequestId submit(server::GenerationRequest request, server::EventSink sink) override;
  void cancel(server::RequestId id) override;
  server::ServiceStats stats() const override;
  void request_unload() override;
  void shutdown() override;

  // The model's metadata (no weights) and tokenizer, for the PromptFrontend.
  const ModelFiles& model_files() const { return meta_; }
  std::shared_ptr<const Tokenizer> tokenizer() const { return tokenizer_; }
  const store::ResolvedModel& resolved_model() const { return resolved_; }
  std::int64_t kv_cache_blocks() const { return n_blocks_; }
  std::int64_t preemptions() const;

 private:
  struct Submission {
    server::RequestId id;
    server::GenerationRequest request;
    SharedSink sink;
  };
  void engine_loop();
  void load();  // engine thread; sets state_ to kReady or kFailed
  void unload();
  void warm_up();
  void set_state(server::ServiceState state, std::string error = {});
  void publish_stats();  // engine thread: copies the scheduler's numbers for stats()
  static void deliver(Events& events);

  EngineOptions options_;
  store::ResolvedModel resolved_;
  ModelFiles meta_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::vector<std::int32_t> end_of_generation_;
  SamplingParams defaults_;
  server::ModelInfo info_;
  std::int64_t n_blocks_ = 0;

  // Engine thread only.
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ModelFiles> loaded_;  // with weights; outlives model_
  std::unique_ptr<Model> model_;
  PrefixBlockPool* pool_ = nullptr;  // owned by cache_
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Scheduler> scheduler_;
  bool unload_pending_ = false;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Submission> inbox_;
  std::vector<server::RequestId> cancels_;
  server::RequestId next_id_ = 1;
  bool unload_requested_ = false;
  bool stopping_ = false;
  server::ServiceState state_ = server::ServiceState::kLoading;
  std::string error_;
  SchedulerCounters counters_;   // engine thread (the scheduler updates it)
  SchedulerCounters published_;  // a copy for stats(), under mutex_
  int waiting_ = 0;
  int running_ = 0;
  double kv_usage_ = 0;
  std::int64_t load_duration_ns_ = 0;
  std::thread thread_;
};

}  // namespace hearth::scheduler
