#include "scheduler/engine_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "chat/chat_template.h"
#include "engine/generator.h"
#include "engine/store_params.h"
#include "scheduler/json_constraint.h"
#include "scheduler/kv_budget.h"
#include "scheduler/model_details.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::scheduler {

using server::Clock;
using server::ServiceState;

namespace {

std::int64_t nanoseconds_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

}  // namespace

EngineService::EngineService(EngineOptions options) : options_(std::move(options)) {
  const config::EngineConfig& ec = options_.engine;
  require(ec.max_batch_tokens > 0, "engine.max_batch_tokens must be positive, got {}", ec.max_batch_tokens);
  require(ec.max_sequences > 0, "engine.max_sequences must be positive, got {}", ec.max_sequences);
  require(ec.block_size > 0 && ec.block_size <= 4096, "engine.block_size must be in 1..4096, got {}", ec.block_size);
  require(ec.device == "auto" || ec.device == "cpu", "engine.device '{}' is not available in this build (cpu only)",
          ec.device);

  resolved_ = store::resolve_model(options_.model);
  meta_ = open_model_files(resolved_.path, /*load_weights=*/false);
  if (!resolved_.chat_template.empty()) meta_.chat_template = resolved_.chat_template;
  tokenizer_ = load_tokenizer(meta_);
  end_of_generation_ = stop_token_ids(meta_.generation, tokenizer_->eog_ids());
  defaults_ = SamplingParams::from_generation_config(meta_.generation);
  apply_store_sampling_params(resolved_.params, defaults_);
  if (ec.precision != "auto") {
    spdlog::warn("engine.precision={}: the CPU backend computes with the file's own weight types", ec.precision);
  }

  const ModelConfig& mc = meta_.config;
  int context = static_cast<int>(std::min<std::int64_t>(mc.context_length > 0 ? mc.context_length : 4096, INT32_MAX));
  if (ec.context > 0) {
    if (ec.context > context) {
      spdlog::warn("engine.context={} is more than the model's maximum of {} tokens; using {}", ec.context, context,
                   context);
    } else {
      context = ec.context;
    }
  }
  KvBudgetInput budget_in;
  // K and V, every layer, in engine.kv_cache_type.
  const std::int64_t kv_element_bytes = ec.kv_cache_type == "f32" ? 4 : 2;
  budget_in.bytes_per_token = 2 * mc.n_layers * mc.n_kv_heads * mc.head_dim * kv_element_bytes;
  budget_in.block_size = ec.block_size;
  budget_in.max_sequences = ec.max_sequences;
  budget_in.context_length = context;
  budget_in.memory_share = ec.gpu_memory;
  budget_in.available_bytes = available_memory_bytes();
  budget_in.exact_tokens = options_.kv_cache_tokens;
  const KvBudget budget = plan_kv_budget(budget_in);
  n_blocks_ = budget.n_blocks;
  spdlog::info("KV cache ({}): {}", ec.kv_cache_type, budget.explanation);

  if (!options_.constraints && options_.json_constraints) {
    options_.constraints = make_json_constraint_factory(*tokenizer_);
  }

  info_ = describe_model(resolved_, meta_,
                         options_.served_model_name.empty() ? options_.model : options_.served_model_name);
  info_.context_length = budget.context_length;
  info_.vocab_size = static_cast<int>(mc.vocab_size);
  if (!options_.chat_template.empty()) info_.chat_template = options_.chat_template;
  info_.supports_constraints = static_cast<bool>(options_.constraints);
  info_.supports_logprobs = true;
  if (auto n = store_num_predict(resolved_.params)) {
    info_.default_max_tokens = static_cast<int>(std::min<std::int64_t>(*n, INT32_MAX));
  }

  thread_ = std::thread([this] { engine_loop(); });
}

EngineService::~EngineService() { shutdown(); }

server::RequestId EngineService::submit(server::GenerationRequest request, server::EventSink sink) {
  auto shared = std::make_shared<server::EventSink>(std::move(sink));
  server::RequestId id;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    if (!stopping_) {
      inbox_.push_back({id, std::move(request), std::move(shared)});
      wake_.notify_all();
      return id;
    }
  }
  server::GenerationEvent e;
  e.kind = server::GenerationEvent::Kind::kFinished;
  e.finish_reason = server::FinishReason::kCancelled;
  e.usage.prompt_tokens = static_cast<int>(request.prompt.size());
  (*shared)(std::move(e));
  return id;
}

void EngineService::cancel(server::RequestId id) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  cancels_.push_back(id);
  wake_.notify_all();
}

server::ServiceStats EngineService::stats() const {
  std::lock_guard lock(mutex_);
  server::ServiceStats s;
  s.state = state_;
  s.error = error_;
  s.waiting = waiting_ + static_cast<int>(inbox_.size());
  s.running = running_;
  s.kv_cache_usage = kv_usage_;
  s.prefix_cache_queries = published_.prefix_queries;
  s.prefix_cache_hits = published_.prefix_hits;
  s.load_duration_ns = load_duration_ns_;
  return s;
}

std::int64_t EngineService::preemptions() const {
  std::lock_guard lock(mutex_);
  return published_.preemptions;
}

void EngineService::request_unload() {
  std::lock_guard lock(mutex_);
  unload_requested_ = true;
  wake_.notify_all();
}

void EngineService::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void EngineService::set_state(ServiceState state, std::string error) {
  std::lock_guard lock(mutex_);
  state_ = state;
  error_ = std::move(error);
}

void EngineService::deliver(Events& events) {
  for (Outgoing& o : events) (*o.sink)(std::move(o.event));
  events.clear();
}

void EngineService::publish_stats() {
  std::lock_guard lock(mutex_);
  published_ = counters_;
  waiting_ = scheduler_ ? scheduler_->n_waiting() : 0;
  running_ = scheduler_ ? scheduler_->n_running() : 0;
  kv_usage_ = scheduler_ ? scheduler_->kv_usage() : 0.0;
}

void EngineService::load() {
  const auto t0 = Clock::now();
  set_state(ServiceState::kLoading);
  try {
    const config::EngineConfig& ec = options_.engine;
    loaded_ = std::make_unique<ModelFiles>(open_model_files(resolved_.path, /*load_weights=*/true));
    BackendOptions bo;
    bo.device = "cpu";
    bo.threads = ec.threads;
    backend_ = create_backend(bo);
    model_ = load_model(*loaded_, *backend_);
    const ModelConfig& mc = model_->config();
    auto pool = std::make_unique<PrefixBlockPool>(n_blocks_, ec.block_size);
    pool_ = pool.get();
    KvCacheOptions co;
    co.n_blocks = n_blocks_;
    co.block_size = ec.block_size;
    const DType kv_type = ec.kv_cache_type == "f32" ? DType::F32 : DType::F16;
    cache_ = std::make_unique<KvCache>(*backend_, KvLayout{mc.n_layers, 0, mc.n_kv_heads, mc.head_dim, kv_type}, co,
                                       std::move(pool));
    if (ec.warmup) {
      set_state(ServiceState::kWarming);
      warm_up();
    }
    SchedulerOptions so;
    so.max_batch_tokens = ec.max_batch_tokens;
    so.max_sequences = ec.max_sequences;
    so.prefix_cache = ec.prefix_cache;
    so.context_length = info_.context_length;
    scheduler_ = std::make_unique<Scheduler>(*model_, *cache_, *pool_, *tokenizer_, so, defaults_, end_of_generation_,
                                             options_.constraints, counters_);
    const std::int64_t ns = nanoseconds_since(t0);
    {
      std::lock_guard lock(mutex_);
      load_duration_ns_ = ns;
    }
    spdlog::info("model {} ready in {:.2f}s ({} backend)", info_.name, static_cast<double>(ns) / 1e9, backend_->name());
    set_state(ServiceState::kReady);
  } catch (const std::exception& e) {
    spdlog::error("loading {} failed: {}", resolved_.path, e.what());
    unload();
    set_state(ServiceState::kFailed, e.what());
  }
}

void EngineService::unload() {
  scheduler_.reset();
  cache_.reset();
  pool_ = nullptr;
  model_.reset();
  backend_.reset();
  loaded_.reset();
}

void EngineService::warm_up() {
  // Real passes through both paths: a multi-token prefill, then a batch mixing one sequence's decode token
  // with another's prefill chunk. Their blocks are released afterwards (nothing is cached).
  const auto t0 = Clock::now();
  const std::int64_t capacity = cache_->capacity_tokens();
  const std::int64_t vocab = model_->config().vocab_size;
  const std::int64_t n_prefill = std::min<std::int64_t>({16, capacity / 2 - 1, info_.context_length - 2});
  const std::int64_t n_second = std::min<std::int64_t>(4, capacity - n_prefill - 1 - cache_->block_size());
  if (n_prefill < 2) return;
  auto token = [&](std::int64_t i) { return static_cast<std::int32_t>((i * 131 + 7) % vocab); };
  const SeqId a = -1, b = -2;
  cache_->add_sequence(a);
  Batch batch;
  Logits logits;
  for (std::int64_t i = 0; i < n_prefill; ++i) batch.add(token(i), a, static_cast<std::int32_t>(i), i + 1 == n_prefill);
  model_->forward(batch, *cache_, logits);
  batch.clear();
  batch.add(token(n_prefill), a, static_cast<std::int32_t>(n_prefill), true);
  if (n_second >= 1) {
    cache_->add_sequence(b);
    for (std::int64_t i = 0; i < n_second; ++i)
      batch.add(token(i + 3), b, static_cast<std::int32_t>(i), i + 1 == n_second);
  }
  model_->forward(batch, *cache_, logits);
  cache_->free_sequence(a);
  cache_->free_sequence(b);
  spdlog::info("warm-up: {:.3f}s", static_cast<double>(nanoseconds_since(t0)) / 1e9);
}

void EngineService::engine_loop() {
  load();
  publish_stats();
  Events events;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] {
      return stopping_ || !inbox_.empty() || !cancels_.empty() || unload_requested_ ||
             (scheduler_ && !scheduler_->idle());
    });
    std::vector<Submission> inbox = std::move(inbox_);
    inbox_.clear();
    std::vector<server::RequestId> cancels = std::move(cancels_);
    cancels_.clear();
    const bool stop = stopping_;
    if (unload_requested_) unload_pending_ = true;
    unload_requested_ = false;
    const ServiceState state = state_;
    // Count the submissions as waiting until the scheduler has them.
    waiting_ += static_cast<int>(inbox.size());
    lock.unlock();

    if (stop) {
      const auto now = Clock::now();
      for (Submission& s : inbox) {
        server::GenerationEvent e;
        e.kind = server::GenerationEvent::Kind::kFinished;
        e.time = now;
        e.finish_reason = server::FinishReason::kCancelled;
        e.usage.prompt_tokens = static_cast<int>(s.request.prompt.size());
        events.push_back({s.sink, std::move(e)});
      }
      if (scheduler_) scheduler_->terminate_all("", events);
      deliver(events);
      unload();
      set_state(ServiceState::kUnloaded);
      publish_stats();
      return;
    }
    if (!inbox.empty()) {
      unload_pending_ = false;  // new work arrived: keep the model
      if (state == ServiceState::kUnloaded) load();
    }
    for (Submission& s : inbox) {
      if (scheduler_) {
        scheduler_->add(s.id, std::move(s.request), s.sink, events);
      } else {
        server::GenerationEvent e;
        e.kind = server::GenerationEvent::Kind::kError;
        std::lock_guard guard(mutex_);
        e.error = "the model could not be loaded: " + error_;
        events.push_back({s.sink, std::move(e)});
      }
    }
    if (scheduler_) {
      for (server::RequestId id : cancels) scheduler_->cancel(id, events);
      if (unload_pending_ && scheduler_->idle()) {
        unload_pending_ = false;
        unload();
        set_state(ServiceState::kUnloaded);
        spdlog::info("model {} unloaded (keep_alive)", info_.name);
      }
    } else {
      unload_pending_ = false;
    }
    if (scheduler_) {
      try {
        scheduler_->step(events);
      } catch (const std::exception& e) {
        // Bookkeeping failed (a bug): end everything rather than serve from a broken state.
        spdlog::error("engine step failed: {}", e.what());
        scheduler_->terminate_all(fmt::format("the engine failed: {}", e.what()), events);
      }
    }
    publish_stats();
    deliver(events);
    lock.lock();
  }
}

}  // namespace hearth::scheduler
