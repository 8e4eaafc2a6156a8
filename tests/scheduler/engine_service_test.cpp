// EngineService on the shared tiny models: continuous batching gives every request exactly the tokens it
// gets alone (and that transformers' greedy decoding gives), prefix caching, preemption, cancellation,
// stop strings/tokens, max_tokens, log-probabilities, unload/reload and shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "chat/reasoning_parser.h"
#include "engine/generator.h"
#include "engine_harness.h"
#include "format/model_files.h"
#include "model/model.h"
#include "reference_data.h"
#include "scheduler/model_frontend.h"
#include "util/error.h"

namespace hearth::scheduler::test {
namespace {

using server::FinishReason;
using server::ServiceState;

hearth::test::Reference reference(const std::string& name = "qwen3moe-tiny") {
  return hearth::test::load_reference(hearth::test::shared_dir() / "reference", name);
}

// Greedy tokens of `prompt` from engine::Generator (one sequence, its own cache).
class GeneratorOracle {
 public:
  explicit GeneratorOracle(const std::string& name = "qwen3moe-tiny") {
    files_ = std::make_unique<ModelFiles>(open_model_files(tiny_model(name).string()));
    BackendOptions bo;
    bo.threads = 2;
    backend_ = create_backend(bo);
    model_ = load_model(*files_, *backend_);
  }
  std::vector<std::int32_t> greedy(const std::vector<std::int32_t>& prompt, int max_tokens) {
    GenerationOptions o;
    o.max_tokens = max_tokens;
    o.sampling.temperature = 0;
    Generator g(*model_);
    return g.generate(prompt, o).tokens;
  }
  std::vector<std::int32_t> sample(const std::vector<std::int32_t>& prompt, int max_tokens, SamplingParams p) {
    GenerationOptions o;
    o.max_tokens = max_tokens;
    o.sampling = std::move(p);
    Generator g(*model_);
    return g.generate(prompt, o).tokens;
  }

 private:
  std::unique_ptr<ModelFiles> files_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Model> model_;
};

bool wait_idle(const server::GenerationService& s) {
  return wait_for_stats(s, [](const server::ServiceStats& st) {
    return st.state == ServiceState::kReady && st.running == 0 && st.waiting == 0;
  });
}

TEST(EngineService, ReferencePromptsTogetherGiveTransformersGreedyTokens) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  std::vector<Collector> collectors(ref.prompts.size());
  for (std::size_t i = 0; i < ref.prompts.size(); ++i) {
    service.submit(greedy_request(ref.prompts[i].ids, static_cast<int>(ref.prompts[i].greedy.size())),
                   collectors[i].sink());
  }
  for (std::size_t i = 0; i < ref.prompts.size(); ++i) {
    Outcome o = collectors[i].wait();
    ASSERT_NE(o.terminal(), nullptr);
    EXPECT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished) << o.terminal()->error;
    EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kLength);
    EXPECT_EQ(o.tokens, ref.prompts[i].greedy) << ref.prompts[i].name;
    EXPECT_EQ(o.terminal_events, 1);
    EXPECT_EQ(o.events.front().kind, GenerationEvent::Kind::kScheduled);
  }
}

// 64 requests of mixed prompt lengths (1..498 tokens) and max_tokens, all at once, with a small token
// budget so prompts are prefilled in chunks beside other sequences' decode tokens.
TEST(EngineService, SixtyFourConcurrentGreedyRequestsMatchEachAlone) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  const auto& long_ids = ref.prompts[3].ids;  // long-zh, 498 tokens
  ASSERT_GT(long_ids.size(), 400u);
  struct Case {
    std::vector<std::int32_t> prompt;
    int max_tokens;
    const std::vector<std::int32_t>* expected_reference = nullptr;
  };
  std::vector<Case> cases;
  for (const auto& p : ref.prompts) cases.push_back({p.ids, static_cast<int>(p.greedy.size()), &p.greedy});
  for (int i = 0; static_cast<int>(cases.size()) < 64; ++i) {
    // Distinct starting points in the long prompt, so prefixes are not shared here.
    const std::size_t start = static_cast<std::size_t>(i * 7) % 300;
    const std::size_t len = 1 + static_cast<std::size_t>(i * 37) % (long_ids.size() - start - 1);
    cases.push_back({std::vector<std::int32_t>(long_ids.begin() + static_cast<std::ptrdiff_t>(start),
                                               long_ids.begin() + static_cast<std::ptrdiff_t>(start + len)),
                     1 + (i * 13) % 40});
  }
  ASSERT_EQ(cases.size(), 64u);

  GeneratorOracle oracle;
  EngineOptions options = tiny_options();
  options.engine.prefix_cache = false;
  EngineService service(options);
  std::vector<Collector> together(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    service.submit(greedy_request(cases[i].prompt, cases[i].max_tokens), together[i].sink());
  }
  std::vector<Outcome> outcomes;
  for (auto& c : together) outcomes.push_back(c.wait());
  ASSERT_TRUE(wait_idle(service));
  EXPECT_EQ(service.stats().kv_cache_usage, 0.0);

  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ", prompt " + std::to_string(cases[i].prompt.size()) + " tokens");
    const Outcome& o = outcomes[i];
    ASSERT_NE(o.terminal(), nullptr);
    ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished) << o.terminal()->error;
    EXPECT_EQ(static_cast<int>(o.tokens.size()), cases[i].max_tokens);
    EXPECT_EQ(o.tokens, oracle.greedy(cases[i].prompt, cases[i].max_tokens));
    if (cases[i].expected_reference) {
      EXPECT_EQ(o.tokens, *cases[i].expected_reference);
    }
    EXPECT_EQ(o.terminal()->usage.prompt_tokens, static_cast<int>(cases[i].prompt.size()));
    EXPECT_EQ(o.terminal()->usage.completion_tokens, cases[i].max_tokens);
  }
  // The same requests one at a time through the service.
  for (std::size_t i = 0; i < cases.size(); i += 5) {
    Outcome alone = run_one(service, greedy_request(cases[i].prompt, cases[i].max_tokens));
    EXPECT_EQ(alone.tokens, outcomes[i].tokens) << "case " << i;
    EXPECT_EQ(alone.text, outcomes[i].text) << "case " << i;
  }
  ASSERT_TRUE(wait_idle(service));
  EXPECT_EQ(service.stats().kv_cache_usage, 0.0);
}

TEST(EngineService, PrefixCacheReusesBlocksOfASharedPrompt) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  const auto& long_ids = ref.prompts[3].ids;  // 498 tokens
  EngineService service(tiny_options());
  ASSERT_TRUE(wait_idle(service));

  Outcome first = run_one(service, greedy_request(long_ids, 12));
  ASSERT_EQ(first.terminal()->kind, GenerationEvent::Kind::kFinished);
  EXPECT_EQ(first.terminal()->usage.cached_prompt_tokens, 0);
  const auto before = service.stats();
  EXPECT_EQ(before.prefix_cache_queries, static_cast<std::int64_t>(long_ids.size()));
  EXPECT_EQ(before.prefix_cache_hits, 0);
  EXPECT_EQ(before.kv_cache_usage, 0.0);  // cached blocks are reusable, not in use

  // Same prompt: every whole block before the last prompt token comes from the cache (497 / 16 = 31 blocks).
  Outcome second = run_one(service, greedy_request(long_ids, 12));
  EXPECT_EQ(second.terminal()->usage.cached_prompt_tokens, 496);
  EXPECT_EQ(second.tokens, first.tokens);
  EXPECT_EQ(second.tokens, GeneratorOracle().greedy(long_ids, 12));
  const auto after = service.stats();
  EXPECT_EQ(after.prefix_cache_queries, 2 * static_cast<std::int64_t>(long_ids.size()));
  EXPECT_EQ(after.prefix_cache_hits, 496);

  // A prompt sharing the first 100 tokens, then diverging: 6 whole blocks (96 tokens) are reused.
  std::vector<std::int32_t> diverging(long_ids.begin(), long_ids.begin() + 100);
  diverging.insert(diverging.end(), ref.prompts[0].ids.begin(), ref.prompts[0].ids.end());
  Outcome third = run_one(service, greedy_request(diverging, 10));
  EXPECT_EQ(third.terminal()->usage.cached_prompt_tokens, 96);
  EXPECT_EQ(third.tokens, GeneratorOracle().greedy(diverging, 10));

  // A continuation of the first conversation (prompt + its output + more) reuses the generated blocks too.
  std::vector<std::int32_t> followup = long_ids;
  followup.insert(followup.end(), first.tokens.begin(), first.tokens.end());
  followup.insert(followup.end(), ref.prompts[2].ids.begin(), ref.prompts[2].ids.end());
  Outcome fourth = run_one(service, greedy_request(followup, 6));
  EXPECT_EQ(fourth.terminal()->usage.cached_prompt_tokens, 496);
  EXPECT_EQ(fourth.tokens, GeneratorOracle().greedy(followup, 6));
}

TEST(EngineService, ConcurrentRequestsSharingAPrefixGiveIdenticalOutputs) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  const auto& long_ids = ref.prompts[3].ids;
  EngineService service(tiny_options());
  ASSERT_TRUE(wait_idle(service));
  // Warm the cache with the shared head, then send 8 requests with the same head and different tails.
  std::vector<std::int32_t> head(long_ids.begin(), long_ids.begin() + 200);
  run_one(service, greedy_request(head, 1));
  GeneratorOracle oracle;
  std::vector<Collector> cs(8);
  std::vector<std::vector<std::int32_t>> prompts;
  for (int i = 0; i < 8; ++i) {
    auto p = head;
    p.insert(p.end(), long_ids.begin() + 300 + i * 10, long_ids.begin() + 300 + i * 10 + 5 + i);
    prompts.push_back(p);
    service.submit(greedy_request(p, 8), cs[static_cast<std::size_t>(i)].sink());
  }
  for (int i = 0; i < 8; ++i) {
    Outcome o = cs[static_cast<std::size_t>(i)].wait();
    EXPECT_EQ(o.terminal()->usage.cached_prompt_tokens, 192) << i;
    EXPECT_EQ(o.tokens, oracle.greedy(prompts[static_cast<std::size_t>(i)], 8)) << i;
  }
  ASSERT_TRUE(wait_idle(service));
  EXPECT_EQ(service.stats().kv_cache_usage, 0.0);
}

// A cache of 12 blocks (192 tokens) for 8 requests that need up to 5 blocks each: sequences are preempted
// and recomputed, and every output is still exactly the one it has alone.
TEST(EngineService, PreemptionUnderATinyKvBudgetKeepsOutputsIdentical) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  const auto& long_ids = ref.prompts[3].ids;
  EngineOptions options = tiny_options();
  options.kv_cache_tokens = 192;
  options.engine.max_batch_tokens = 64;
  EngineService service(options);
  EXPECT_EQ(service.kv_cache_blocks(), 12);
  GeneratorOracle oracle;
  std::vector<Collector> cs(8);
  std::vector<std::vector<std::int32_t>> prompts;
  for (int i = 0; i < 8; ++i) {
    prompts.emplace_back(long_ids.begin() + i * 40, long_ids.begin() + i * 40 + 20 + i * 3);
    service.submit(greedy_request(prompts.back(), 40), cs[static_cast<std::size_t>(i)].sink());
  }
  for (int i = 0; i < 8; ++i) {
    Outcome o = cs[static_cast<std::size_t>(i)].wait();
    ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished) << o.terminal()->error;
    EXPECT_EQ(o.tokens, oracle.greedy(prompts[static_cast<std::size_t>(i)], 40)) << i;
    EXPECT_EQ(o.terminal_events, 1);
    // kScheduled once, even when the sequence was preempted and rescheduled.
    EXPECT_EQ(std::count_if(o.events.begin(), o.events.end(),
                            [](const auto& e) { return e.kind == GenerationEvent::Kind::kScheduled; }),
              1);
  }
  EXPECT_GT(service.preemptions(), 0);
  ASSERT_TRUE(wait_idle(service));
  EXPECT_EQ(service.stats().kv_cache_usage, 0.0);
}

TEST(EngineService, ARequestThatCanNeverFitTheCacheFailsClearly) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineOptions options = tiny_options();
  options.kv_cache_tokens = 64;
  EngineService service(options);
  Outcome o = run_one(service, greedy_request(ref.prompts[3].ids, 10));  // 498 tokens > 64
  ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kError);
  EXPECT_NE(o.terminal()->error.find("KV cache"), std::string::npos) << o.terminal()->error;
  // The service goes on serving.
  Outcome ok = run_one(service, greedy_request(ref.prompts[0].ids, 5));
  EXPECT_EQ(ok.terminal()->kind, GenerationEvent::Kind::kFinished);
  EXPECT_EQ(ok.tokens, std::vector<std::int32_t>(ref.prompts[0].greedy.begin(), ref.prompts[0].greedy.begin() + 5));
}

TEST(EngineService, CancelMidStreamFreesTheBlocks) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  ASSERT_TRUE(wait_idle(service));
  Collector c;
  const auto id = service.submit(greedy_request(ref.prompts[3].ids, 500), c.sink());
  ASSERT_TRUE(c.wait_first_delta());
  EXPECT_GT(service.stats().kv_cache_usage, 0.0);
  service.cancel(id);
  Outcome o = c.wait();
  ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished);
  EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kCancelled);
  EXPECT_LT(o.tokens.size(), 500u);
  EXPECT_EQ(o.terminal_events, 1);
  ASSERT_TRUE(wait_idle(service));
  EXPECT_EQ(service.stats().kv_cache_usage, 0.0);
  service.cancel(id);  // again, after it finished: ignored
  service.cancel(987654);
  Outcome next = run_one(service, greedy_request(ref.prompts[0].ids, 3));
  EXPECT_EQ(next.terminal()->kind, GenerationEvent::Kind::kFinished);
}

TEST(EngineService, StopStringEndsTheOutputBeforeIt) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  Outcome full = run_one(service, greedy_request(ref.prompts[2].ids, 24));
  ASSERT_GT(full.text.size(), 12u);
  // A stop string taken from the middle of the output (whole UTF-8 characters).
  std::size_t begin = full.text.size() / 2;
  while (begin < full.text.size() && (static_cast<unsigned char>(full.text[begin]) & 0xC0) == 0x80) ++begin;
  std::size_t end = begin + 1;
  while (end < full.text.size() && (static_cast<unsigned char>(full.text[end]) & 0xC0) == 0x80) ++end;
  const std::string stop = full.text.substr(begin, end - begin);  // one character
  const std::size_t first = full.text.find(stop);

  auto request = greedy_request(ref.prompts[2].ids, 24);
  request.stop = {stop, "never appears \x01"};
  Outcome o = run_one(service, request);
  ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished);
  EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kStop);
  EXPECT_EQ(o.terminal()->stop_string, stop);
  EXPECT_EQ(o.text, full.text.substr(0, first));
}

TEST(EngineService, StopTokenAndMaxTokens) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  const auto& expected = ref.prompts[0].greedy;
  EngineService service(tiny_options());

  auto limited = greedy_request(ref.prompts[0].ids, 5);
  Outcome o = run_one(service, limited);
  EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kLength);
  EXPECT_EQ(o.terminal()->usage.completion_tokens, 5);
  EXPECT_EQ(o.tokens, std::vector<std::int32_t>(expected.begin(), expected.begin() + 5));

  // The first position whose token did not appear before it: stopping there leaves exactly the tokens before.
  std::size_t k = 3;
  while (std::find(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(k), expected[k]) !=
         expected.begin() + static_cast<std::ptrdiff_t>(k)) {
    ++k;
  }
  auto stopping = greedy_request(ref.prompts[0].ids, 24);
  stopping.stop_token_ids = {expected[k]};
  Outcome s = run_one(service, stopping);
  EXPECT_EQ(s.terminal()->finish_reason, FinishReason::kStop);
  ASSERT_TRUE(s.terminal()->stop_token.has_value());
  EXPECT_EQ(*s.terminal()->stop_token, expected[k]);
  EXPECT_EQ(s.tokens, std::vector<std::int32_t>(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(k)));

  // The model's end-of-turn token stops unless ignore_eos: make it certain with a logit bias.
  auto eos = greedy_request(ref.prompts[0].ids, 24);
  eos.ignore_eos = false;
  const std::int32_t im_end = 151645;
  eos.sampling.logit_bias = {{im_end, 1000.0f}};
  Outcome e = run_one(service, eos);
  EXPECT_EQ(e.terminal()->finish_reason, FinishReason::kStop);
  EXPECT_TRUE(e.tokens.empty());
  EXPECT_EQ(e.terminal()->stop_token, std::optional<std::int32_t>(im_end));
  eos.ignore_eos = true;
  eos.max_tokens = 3;
  Outcome ignored = run_one(service, eos);
  EXPECT_EQ(ignored.terminal()->finish_reason, FinishReason::kLength);
  EXPECT_EQ(ignored.tokens, std::vector<std::int32_t>(3, im_end));
}

TEST(EngineService, LogprobsAreTheLogSoftmaxOfTheModelsLogits) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  for (std::size_t p : {std::size_t{0}, std::size_t{4}}) {
    auto request = greedy_request(ref.prompts[p].ids, 3);
    request.logprobs = true;
    request.top_logprobs = 5;
    Outcome o = run_one(service, request);
    const GenerationEvent* first = nullptr;
    for (const auto& e : o.events) {
      if (e.kind == GenerationEvent::Kind::kDelta && !e.tokens.empty()) {
        first = &e;
        break;
      }
    }
    ASSERT_NE(first, nullptr);
    ASSERT_EQ(first->logprobs.size(), 1u);
    const auto& lp = first->logprobs[0];
    // Reference: log-softmax of transformers' last-position logits.
    const auto logits = ref.last(p);
    double z = 0;
    const float mx = *std::max_element(logits.begin(), logits.end());
    for (float v : logits) z += std::exp(static_cast<double>(v) - mx);
    auto ref_logprob = [&](std::int32_t id) { return logits[static_cast<std::size_t>(id)] - mx - std::log(z); };
    EXPECT_EQ(lp.token, ref.prompts[p].greedy[0]);
    EXPECT_NEAR(lp.logprob, ref_logprob(lp.token), 1e-3);
    ASSERT_EQ(lp.top.size(), 5u);
    const auto& ref_top = ref.prompts[p].topk_ids.back();
    for (std::size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(lp.top[i].token, ref_top[i]) << i;
      EXPECT_NEAR(lp.top[i].logprob, ref_logprob(lp.top[i].token), 1e-3);
    }
    EXPECT_EQ(lp.top[0].token, lp.token);
  }
}

TEST(EngineService, SeededSamplingMatchesTheGeneratorAndRepeats) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  auto request = greedy_request(ref.prompts[4].ids, 20);
  request.sampling.temperature = 1.3f;
  request.sampling.top_k = 50;
  request.sampling.top_p = 1.0f;  // not the model's defaults: the oracle below uses the same numbers
  request.sampling.min_p = 0.0f;
  request.sampling.repetition_penalty = 1.0f;
  request.sampling.seed = 1234;
  request.sampling.presence_penalty = 0.5f;
  request.sampling.frequency_penalty = 0.25f;
  std::vector<Collector> cs(6);
  for (auto& c : cs) service.submit(request, c.sink());  // together, in one batch
  std::vector<std::vector<std::int32_t>> outs;
  for (auto& c : cs) outs.push_back(c.wait().tokens);
  for (const auto& o : outs) EXPECT_EQ(o, outs[0]);

  SamplingParams p;
  p.temperature = 1.3f;
  p.top_k = 50;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  EXPECT_EQ(outs[0], GeneratorOracle().sample(ref.prompts[4].ids, 20, p));
}

TEST(EngineService, UnloadsWhenIdleAndReloadsOnDemand) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineService service(tiny_options());
  ASSERT_TRUE(wait_idle(service));
  Outcome before = run_one(service, greedy_request(ref.prompts[1].ids, 8));
  service.request_unload();
  ASSERT_TRUE(wait_for_stats(service, [](const auto& s) { return s.state == ServiceState::kUnloaded; }));
  Outcome after = run_one(service, greedy_request(ref.prompts[1].ids, 8));
  EXPECT_EQ(service.stats().state, ServiceState::kReady);
  EXPECT_EQ(after.tokens, before.tokens);
  EXPECT_EQ(after.tokens, std::vector<std::int32_t>(ref.prompts[1].greedy.begin(), ref.prompts[1].greedy.begin() + 8));
  EXPECT_GT(service.stats().load_duration_ns, 0);
}

TEST(EngineService, ShutdownEndsEveryRequestWithOneTerminalEvent) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  auto options = tiny_options();
  options.engine.max_sequences = 2;  // the rest wait
  auto service = std::make_unique<EngineService>(options);
  std::vector<Collector> cs(6);
  for (auto& c : cs) service->submit(greedy_request(ref.prompts[3].ids, 400), c.sink());
  ASSERT_TRUE(cs[0].wait_first_delta());
  service->shutdown();
  for (auto& c : cs) {
    Outcome o = c.wait(std::chrono::seconds(5));
    EXPECT_EQ(o.terminal_events, 1);
    ASSERT_NE(o.terminal(), nullptr);
    EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kCancelled);
  }
  Collector late;
  service->submit(greedy_request(ref.prompts[0].ids, 3), late.sink());
  EXPECT_EQ(late.wait(std::chrono::seconds(5)).terminal()->finish_reason, FinishReason::kCancelled);
}

TEST(EngineService, DescribesTheModel) {
  HEARTH_REQUIRE_SHARED();
  EngineService service(tiny_options());
  const auto& info = service.model_info();
  EXPECT_EQ(info.name, "qwen3moe-tiny");
  EXPECT_EQ(info.architecture, "qwen3moe");
  EXPECT_EQ(info.context_length, 1024);
  EXPECT_EQ(info.vocab_size, 151936);
  EXPECT_EQ(info.format, "safetensors");
  EXPECT_TRUE(info.supports_tools);
  EXPECT_TRUE(info.supports_thinking);
  EXPECT_FALSE(info.supports_constraints);
  EXPECT_FALSE(info.chat_template.empty());
  // A request for constrained output is refused by the engine too.
  auto request = greedy_request({1, 2, 3}, 3);
  request.constraint.kind = server::OutputConstraint::Kind::kJsonObject;
  Outcome o = run_one(service, request);
  EXPECT_EQ(o.terminal()->kind, GenerationEvent::Kind::kError);
}

TEST(EngineService, JsonSchemaConstraintGivesAValidDocument) {
  HEARTH_REQUIRE_SHARED();
  const auto ref = reference();
  EngineOptions options = tiny_options();
  options.json_constraints = true;
  EngineService service(options);
  EXPECT_TRUE(service.model_info().supports_constraints);
  auto request = greedy_request(ref.prompts[4].ids, 64);
  request.ignore_eos = false;
  request.constraint.kind = server::OutputConstraint::Kind::kJsonSchema;
  request.constraint.json_schema =
      R"({"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer"}},"required":["ok","n"],)"
      R"("additionalProperties":false})";
  Outcome o = run_one(service, request);
  ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished) << o.terminal()->error;
  EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kStop) << o.text;
  const auto doc = nlohmann::json::parse(o.text, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << o.text;
  EXPECT_TRUE(doc["ok"].is_boolean()) << o.text;
  EXPECT_TRUE(doc["n"].is_number_integer()) << o.text;
  EXPECT_EQ(doc.size(), 2u) << o.text;

  // A schema constrained decoding cannot enforce ends with an error naming it.
  request.constraint.json_schema = R"({"type":"string","pattern":"^a+$"})";
  Outcome bad = run_one(service, request);
  ASSERT_EQ(bad.terminal()->kind, GenerationEvent::Kind::kError);
  EXPECT_NE(bad.terminal()->error.find("pattern"), std::string::npos) << bad.terminal()->error;
}

// Qwen3 with thinking on: the JSON constraint lets the reasoning block through first (the open tag forced, the
// close tag forced at the budget), then holds the answer to the schema. With thinking off the template closes
// the block itself and the constraint starts at the first token.
TEST(EngineService, JsonConstraintStartsAfterTheReasoningBlock) {
  HEARTH_REQUIRE_SHARED();
  EngineOptions options = tiny_options("qwen3-tiny");
  options.json_constraints = true;
  EngineService service(options);
  ModelPromptFrontend frontend(service.tokenizer(), service.model_files().chat_template, false,
                               service.model_files().special_token_strings);
  const auto tags = frontend.reasoning_tags();
  ASSERT_TRUE(tags.has_value());
  server::ChatMessage question;
  question.role = "user";
  question.content = "Is it sunny? Answer as JSON.";
  server::ChatPromptInput chat;
  chat.messages = {question};
  chat.enable_thinking = true;
  // Room for the whitespace a random-weight model likes between JSON tokens (the grammar allows 24 bytes).
  auto request = greedy_request(frontend.tokenize(frontend.render_chat(chat)), 400);
  request.ignore_eos = false;
  request.constraint.kind = server::OutputConstraint::Kind::kJsonSchema;
  request.constraint.json_schema =
      R"({"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer"}},"required":["ok","n"],)"
      R"("additionalProperties":false})";
  constexpr int kBudget = 12;
  request.constraint.reasoning = server::OutputConstraint::Reasoning{tags->open, tags->close, kBudget};
  const auto expect_valid = [](const std::string& text) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << text;
    EXPECT_TRUE(doc["ok"].is_boolean()) << text;
    EXPECT_TRUE(doc["n"].is_number_integer()) << text;
    EXPECT_EQ(doc.size(), 2u) << text;
  };

  Outcome o = run_one(service, request);
  ASSERT_EQ(o.terminal()->kind, GenerationEvent::Kind::kFinished) << o.terminal()->error;
  EXPECT_EQ(o.terminal()->finish_reason, FinishReason::kStop) << o.text;
  ASSERT_FALSE(o.tokens.empty());
  EXPECT_EQ(o.tokens.front(), tags->open);
  const auto close = std::find(o.tokens.begin(), o.tokens.end(), tags->close);
  ASSERT_NE(close, o.tokens.end()) << o.text;
  EXPECT_LE(close - o.tokens.begin() + 1, kBudget);
  const ReasoningDelta split = split_reasoning(o.text);
  EXPECT_FALSE(split.reasoning.empty()) << o.text;
  expect_valid(split.content);

  chat.enable_thinking = false;
  auto plain = greedy_request(frontend.tokenize(frontend.render_chat(chat)), 400);
  plain.ignore_eos = false;
  plain.constraint = request.constraint;
  plain.constraint.reasoning.reset();
  Outcome p = run_one(service, plain);
  ASSERT_EQ(p.terminal()->kind, GenerationEvent::Kind::kFinished) << p.terminal()->error;
  expect_valid(p.text);
}

TEST(EngineService, MissingModelFailsAtConstruction) {
  EngineOptions o;
  o.model = "/nonexistent/model.gguf";
  EXPECT_THROW(EngineService{o}, hearth::Error);
}

}  // namespace
}  // namespace hearth::scheduler::test
