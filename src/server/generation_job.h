#pragma once
// GenerationJob runs the generations of one HTTP request (n choices, or several prompts x n) and hands
// their events, in order and on the exchange's strand, to a ResponseWriter that formats them for one API
// (OpenAI chat/completions, Ollama chat/generate; streamed or not).
//
// Flow: start() asks admission control, submits every choice to the GenerationService with a sink that
// queues the event and posts a drain to the exchange's strand (the engine thread never formats anything),
// and registers for client disconnects. Bookkeeping (admission counts, metrics, keep_alive) follows the
// events. A client that goes away cancels every choice; abort() does the same and reports an error.
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

#include "server/api_error.h"
#include "server/engine_interface.h"
#include "server/exchange.h"
#include "server/server_context.h"

namespace hearth::server {

struct ChoiceTiming {
  Clock::time_point arrival;
  std::optional<Clock::time_point> scheduled;
  std::optional<Clock::time_point> first_token;
  Clock::time_point finished;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // The first event of any choice arrived; streams send their status line and headers here. A request
  // refused or shed before this point can therefore still get a proper error status.
  virtual void start(Exchange& ex) = 0;
  virtual void delta(Exchange& ex, int choice, const GenerationEvent& event) = 0;
  virtual void choice_finished(Exchange& ex, int choice, const GenerationEvent& event, const ChoiceTiming& timing) = 0;
  // Every choice finished normally; `usage` sums them (the prompt counted once per prompt).
  virtual void complete(Exchange& ex, const Usage& usage) = 0;
  // The request failed. `started` says whether start() ran (a stream's status line is already out).
  virtual void fail(Exchange& ex, const ApiError& error, bool started) = 0;
};

class GenerationJob : public std::enable_shared_from_this<GenerationJob> {
 public:
  // REQUIRES: requests is not empty; called on the exchange's strand. `keep_alive` is Ollama's per-request one.
  GenerationJob(ServerContext& ctx, std::shared_ptr<Exchange> exchange, std::vector<GenerationRequest> requests,
                std::unique_ptr<ResponseWriter> writer, std::optional<config::Duration> keep_alive = std::nullopt);
  ~GenerationJob();

  // Admission control, then submission. Throws ApiException (503 + Retry-After) when admission refuses.
  // Call on the exchange's strand.
  void start();

  // Cancels every unfinished choice and reports `error` to the client. Thread-safe; idempotent.
  void abort(ApiError error);

  const std::vector<GenerationRequest>& requests() const { return requests_; }

 private:
  struct Choice {
    RequestId id = 0;
    bool submitted = false;
    bool finished = false;
    ChoiceTiming timing;
    Clock::time_point last_token;
  };
  void enqueue(int choice, GenerationEvent&& event);  // engine thread
  void drain();                                       // strand
  void handle(int choice, GenerationEvent& event);    // strand
  void finish_choice(int choice, const GenerationEvent& event);
  void ensure_started();
  void fail_on_strand(const ApiError& error);
  void cancel_unfinished();
  void client_gone();

  ServerContext& ctx_;
  std::shared_ptr<Exchange> exchange_;
  std::vector<GenerationRequest> requests_;
  std::unique_ptr<ResponseWriter> writer_;
  std::optional<config::Duration> keep_alive_;
  std::vector<Choice> choices_;
  AdmissionController::Ticket ticket_ = 0;
  bool admitted_ = false;
  bool started_ = false;  // writer_->start() ran
  bool failed_ = false;   // output is no longer written (error reported or client gone)
  int unfinished_ = 0;
  Usage usage_;

  std::mutex queue_mutex_;
  std::vector<std::pair<int, GenerationEvent>> queue_;
  bool drain_posted_ = false;
};

// Live jobs, so that shutdown can abort what is still running after the grace period.
class JobRegistry {
 public:
  void add(const std::shared_ptr<GenerationJob>& job);
  void abort_all(const ApiError& error);
  std::size_t size();

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<GenerationJob>> jobs_;
};

// Start a job for `exchange`: the common tail of every generation route.
void run_generation(ServerContext& ctx, const std::shared_ptr<Exchange>& exchange,
                    std::vector<GenerationRequest> requests, std::unique_ptr<ResponseWriter> writer,
                    std::optional<config::Duration> keep_alive = std::nullopt);

}  // namespace hearth::server
