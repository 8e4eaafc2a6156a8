// Constrained decoding (issue 4, response_format): time of one TokenConstraint::mask() over the Qwen3
// vocabulary (151,669 tokens + padding ids) in typical parser states, and of building the per-model vocabulary.
//   mask/<state>   one mask() call (allowed-set computation + writing -inf into a 151,936-float logits row)
//   vocabulary     ConstraintVocabulary::from(tokenizer) (token trie; string tables are built lazily)
// Run: build/bench/constrain_bench [--benchmark_filter=mask]   (HEARTH_SHARED points at ../shared)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "constrain/token_constraint.h"
#include "format/model_files.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::constrain {
namespace {

std::string shared_dir() {
  if (const char* env = std::getenv("HEARTH_SHARED"); env && *env) return env;
  return HEARTH_DEFAULT_SHARED;
}

const Tokenizer& tokenizer() {
  static const auto t = load_tokenizer(open_model_files(shared_dir() + "/models/qwen3-tiny", false));
  return *t;
}

const ConstraintVocabulary& vocabulary() {
  static const auto v = ConstraintVocabulary::from(tokenizer());
  return *v;
}

constexpr const char* kPersonSchema = R"({"type":"object","properties":{
  "name":{"type":"string","maxLength":40},"age":{"type":"integer"},"email":{"type":"string"},
  "tags":{"type":"array","items":{"type":"string"}},"active":{"type":"boolean"}},
  "required":["name","age"],"additionalProperties":false})";
constexpr const char* kOpenSchema = R"({"type":"object","properties":{"id":{"type":"integer"}},
  "required":["id"],"additionalProperties":{"type":"string"}})";

// Feeds `prefix` (tokenized by the model's tokenizer) and times mask() in the state it leads to.
void run_mask(benchmark::State& state, const char* schema, const std::string& prefix) {
  const auto grammar = schema ? JsonGrammar::from_schema(schema) : JsonGrammar::json_object();
  TokenConstraint c(grammar, vocabulary());
  for (std::int32_t t : tokenizer().encode(prefix))
    if (!c.accept(t)) state.SkipWithError("prefix not accepted");
  std::vector<float> logits(static_cast<std::size_t>(vocabulary().id_limit()), 0.0f);
  c.mask(logits);  // builds the lazy string table of this state outside the timing
  std::size_t allowed = 0;
  for (float l : logits) allowed += l == 0.0f;
  for (auto _ : state) {
    c.mask(logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["allowed_tokens"] = static_cast<double>(allowed);
}

void BM_MaskStart(benchmark::State& s) { run_mask(s, nullptr, ""); }
void BM_MaskFreeKey(benchmark::State& s) { run_mask(s, nullptr, "{\"na"); }
void BM_MaskFreeString(benchmark::State& s) { run_mask(s, nullptr, "{\"note\": \"The quick brown"); }
void BM_MaskAfterValue(benchmark::State& s) { run_mask(s, nullptr, "{\"a\": [1, 2], \"b\": true"); }
void BM_MaskNumber(benchmark::State& s) { run_mask(s, nullptr, "{\"x\": -12.5"); }
void BM_MaskSchemaKey(benchmark::State& s) { run_mask(s, kPersonSchema, "{\"name\": \"Ann\", \""); }
void BM_MaskSchemaValue(benchmark::State& s) { run_mask(s, kPersonSchema, "{\"name\": \"Ann\", \"age\":"); }
void BM_MaskSchemaString(benchmark::State& s) { run_mask(s, kPersonSchema, "{\"name\": \"Ann Lee"); }
void BM_MaskExtraKey(benchmark::State& s) { run_mask(s, kOpenSchema, "{\"id\": 3, \"col"); }

BENCHMARK(BM_MaskStart)->Name("mask/json_object_start")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskFreeKey)->Name("mask/json_object_in_key")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskFreeString)->Name("mask/json_object_in_string")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskAfterValue)->Name("mask/json_object_after_value")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskNumber)->Name("mask/json_object_in_number")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskSchemaKey)->Name("mask/schema_key_start")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskSchemaValue)->Name("mask/schema_integer_value")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskSchemaString)->Name("mask/schema_string_maxLength")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MaskExtraKey)->Name("mask/schema_extra_key")->Unit(benchmark::kMicrosecond);

void BM_Vocabulary(benchmark::State& state) {
  const Tokenizer& t = tokenizer();
  for (auto _ : state) benchmark::DoNotOptimize(ConstraintVocabulary::from(t));
}
BENCHMARK(BM_Vocabulary)->Name("vocabulary")->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace hearth::constrain

BENCHMARK_MAIN();
