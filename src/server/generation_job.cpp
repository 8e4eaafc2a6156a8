#include "server/generation_job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "util/error.h"

namespace hearth::server {

namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string_view finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "stop";
}

}  // namespace

GenerationJob::GenerationJob(ServerContext& ctx, std::shared_ptr<Exchange> exchange,
                             std::vector<GenerationRequest> requests, std::unique_ptr<ResponseWriter> writer,
                             std::optional<config::Duration> keep_alive)
    : ctx_(ctx),
      exchange_(std::move(exchange)),
      requests_(std::move(requests)),
      writer_(std::move(writer)),
      keep_alive_(keep_alive),
      choices_(requests_.size()) {
  assert(!requests_.empty());
  for (std::size_t i = 0; i < requests_.size(); ++i) choices_[i].timing.arrival = requests_[i].arrival;
}

GenerationJob::~GenerationJob() = default;

void GenerationJob::start() {
  std::weak_ptr<GenerationJob> weak = weak_from_this();
  int longest_prompt = 0;
  for (const auto& r : requests_) longest_prompt = std::max(longest_prompt, static_cast<int>(r.prompt.size()));
  const int retry_after = ctx_.admission.policy().retry_after_seconds;
  auto decision = ctx_.admission.admit(static_cast<int>(requests_.size()), longest_prompt, [weak, retry_after] {
    if (auto job = weak.lock()) {
      job->abort(
          ApiError::overloaded("The server is overloaded and dropped this request in favour of shorter ones. "
                               "Retry later.",
                               retry_after));
    }
  });
  if (!decision.admitted) throw ApiException(decision.rejection);
  admitted_ = true;
  ticket_ = decision.ticket;
  if (decision.max_tokens_cap) {
    for (auto& r : requests_) r.max_tokens = std::min(r.max_tokens, *decision.max_tokens_cap);
  }
  ctx_.keep_alive.request_started(keep_alive_);
  ctx_.jobs.add(shared_from_this());
  exchange_->on_close([weak] {
    if (auto job = weak.lock()) job->client_gone();
  });
  auto self = shared_from_this();
  unfinished_ = static_cast<int>(requests_.size());
  for (std::size_t i = 0; i < requests_.size(); ++i) {
    const int choice = static_cast<int>(i);
    try {
      choices_[i].id = ctx_.service.submit(
          requests_[i], [self, choice](GenerationEvent&& event) { self->enqueue(choice, std::move(event)); });
      choices_[i].submitted = true;
    } catch (const std::exception& e) {
      // The engine refused: the choices not submitted end here; those submitted are cancelled.
      const bool bad_input = dynamic_cast<const Error*>(&e) != nullptr;
      for (std::size_t j = i; j < requests_.size(); ++j) {
        choices_[j].finished = true;
        --unfinished_;
        ctx_.admission.on_finished(ticket_, false);
      }
      fail_on_strand(bad_input ? ApiError::bad_request(e.what()) : ApiError::internal(e.what()));
      if (unfinished_ == 0) ctx_.keep_alive.request_finished();
      return;
    }
  }
}

void GenerationJob::enqueue(int choice, GenerationEvent&& event) {
  bool post = false;
  {
    std::lock_guard lock(queue_mutex_);
    queue_.emplace_back(choice, std::move(event));
    if (!drain_posted_) {
      drain_posted_ = true;
      post = true;
    }
  }
  if (post) exchange_->post([self = shared_from_this()] { self->drain(); });
}

void GenerationJob::drain() {
  std::vector<std::pair<int, GenerationEvent>> events;
  {
    std::lock_guard lock(queue_mutex_);
    events.swap(queue_);
    drain_posted_ = false;
  }
  for (auto& [choice, event] : events) handle(choice, event);
}

void GenerationJob::ensure_started() {
  if (started_ || failed_ || !exchange_->is_open()) return;
  started_ = true;
  writer_->start(*exchange_);
}

void GenerationJob::handle(int choice, GenerationEvent& event) {
  Choice& c = choices_[choice];
  if (c.finished) return;
  switch (event.kind) {
    case GenerationEvent::Kind::kScheduled:
      if (!c.timing.scheduled) {
        c.timing.scheduled = event.time;
        ctx_.admission.on_scheduled(ticket_);
        ctx_.metrics.observe_queue_time(seconds_between(c.timing.arrival, event.time));
      }
      ensure_started();
      break;
    case GenerationEvent::Kind::kDelta: {
      if (!c.timing.scheduled) {  // an engine may skip kScheduled; the first output implies it
        c.timing.scheduled = event.time;
        ctx_.admission.on_scheduled(ticket_);
        ctx_.metrics.observe_queue_time(seconds_between(c.timing.arrival, event.time));
      }
      const int n = static_cast<int>(event.tokens.size());
      if (n > 0) {
        if (!c.timing.first_token) {
          c.timing.first_token = event.time;
          ctx_.metrics.observe_time_to_first_token(seconds_between(c.timing.arrival, event.time));
          // Later tokens of the same delta arrived together with the first.
          for (int k = 1; k < n; ++k) ctx_.metrics.observe_inter_token_latency(0);
        } else {
          const double gap = seconds_between(c.last_token, event.time) / n;
          for (int k = 0; k < n; ++k) ctx_.metrics.observe_inter_token_latency(gap);
        }
        c.last_token = event.time;
      }
      ensure_started();
      if (!failed_ && exchange_->is_open()) writer_->delta(*exchange_, choice, event);
      break;
    }
    case GenerationEvent::Kind::kFinished:
    case GenerationEvent::Kind::kError:
      finish_choice(choice, event);
      break;
  }
}

void GenerationJob::finish_choice(int choice, const GenerationEvent& event) {
  Choice& c = choices_[choice];
  c.finished = true;
  c.timing.finished = event.time;
  --unfinished_;
  ctx_.admission.on_finished(ticket_, c.timing.scheduled.has_value());
  ctx_.metrics.add_prompt_tokens(event.usage.prompt_tokens);
  ctx_.metrics.add_generation_tokens(event.usage.completion_tokens);
  ctx_.metrics.observe_e2e_latency(seconds_between(c.timing.arrival, event.time));
  // The prompt counts once however many choices share it.
  if (choice == 0 || requests_[choice].prompt != requests_[choice - 1].prompt) {
    usage_.prompt_tokens += event.usage.prompt_tokens;
    usage_.cached_prompt_tokens += event.usage.cached_prompt_tokens;
  }
  usage_.completion_tokens += event.usage.completion_tokens;

  if (event.kind == GenerationEvent::Kind::kError) {
    ctx_.metrics.sequence_finished("error");
    spdlog::error("generation {} failed: {}", requests_[choice].id, event.error);
    fail_on_strand(ApiError::internal("Generation failed: " + event.error));
  } else {
    ctx_.metrics.sequence_finished(finish_reason_name(event.finish_reason));
    if (!failed_ && exchange_->is_open()) {
      if (event.finish_reason == FinishReason::kCancelled) {
        // Cancelled by someone other than this job (the engine shutting down): report it.
        fail_on_strand(ApiError::unavailable("The request was cancelled because the server is shutting down."));
      } else {
        ensure_started();
        writer_->choice_finished(*exchange_, choice, event, c.timing);
      }
    }
  }
  if (unfinished_ == 0) {
    ctx_.keep_alive.request_finished();
    if (!failed_ && exchange_->is_open()) writer_->complete(*exchange_, usage_);
    writer_.reset();  // releases its buffers now; nothing else will be written
  }
}

void GenerationJob::abort(ApiError error) {
  exchange_->post([self = shared_from_this(), error = std::move(error)] { self->fail_on_strand(error); });
}

void GenerationJob::fail_on_strand(const ApiError& error) {
  if (failed_) return;
  failed_ = true;
  if (exchange_->is_open() && writer_) writer_->fail(*exchange_, error, started_);
  cancel_unfinished();
}

void GenerationJob::client_gone() {
  if (failed_) return;
  failed_ = true;
  cancel_unfinished();
}

void GenerationJob::cancel_unfinished() {
  for (const auto& c : choices_) {
    if (c.submitted && !c.finished) ctx_.service.cancel(c.id);
  }
}

void JobRegistry::add(const std::shared_ptr<GenerationJob>& job) {
  std::lock_guard lock(mutex_);
  std::erase_if(jobs_, [](const auto& w) { return w.expired(); });
  jobs_.push_back(job);
}

void JobRegistry::abort_all(const ApiError& error) {
  std::vector<std::shared_ptr<GenerationJob>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& w : jobs_) {
      if (auto j = w.lock()) live.push_back(std::move(j));
    }
  }
  for (auto& j : live) j->abort(error);
}

std::size_t JobRegistry::size() {
  std::lock_guard lock(mutex_);
  std::erase_if(jobs_, [](const auto& w) { return w.expired(); });
  return jobs_.size();
}

void run_generation(ServerContext& ctx, const std::shared_ptr<Exchange>& exchange,
                    std::vector<GenerationRequest> requests, std::unique_ptr<ResponseWriter> writer,
                    std::optional<config::Duration> keep_alive) {
  auto job = std::make_shared<GenerationJob>(ctx, exchange, std::move(requests), std::move(writer), keep_alive);
  job->start();
}

}  // namespace hearth::server
