// Property test with the real Qwen3 tokenizer (151k tokens): sample random allowed tokens (seeded random
// logits, then a bounded "finish" phase) until the end-of-generation token, many times per schema, and check
// that the decoded text parses with nlohmann::json and validates against the schema with an independent
// validator. Along the way, mask() is compared with a token-by-token simulation (allows()) over the whole
// vocabulary, which checks the trie walk and the string fast path against the plain automaton.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "constrain/token_constraint.h"
#include "format/model_files.h"
#include "schema_validator.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::constrain::test {
namespace {

struct Fixture {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const ConstraintVocabulary> vocab;
  std::vector<std::int32_t> byte_token;  // the single-byte token of each byte
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    const auto dir = hearth::test::shared_dir() / "models" / "qwen3-tiny";
    x.tokenizer = load_tokenizer(open_model_files(dir.string(), /*load_weights=*/false));
    x.vocab = ConstraintVocabulary::from(*x.tokenizer);
    x.byte_token.assign(256, -1);
    for (std::size_t i = 0; i < x.vocab->plain_count(); ++i) {
      const auto bytes = x.vocab->plain_bytes(i);
      if (bytes.size() == 1) x.byte_token[static_cast<unsigned char>(bytes[0])] = x.vocab->plain_id(i);
    }
    return x;
  }();
  return f;
}

std::string escaped(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool bit(const std::vector<std::uint64_t>& words, std::int32_t id) { return (words[id / 64] >> (id % 64)) & 1; }

// mask(), allowed() and allows() agree on every token id.
void expect_mask_matches_simulation(const TokenConstraint& c, const std::string& where) {
  const Fixture& f = fixture();
  std::vector<std::uint64_t> words;
  c.allowed(words);
  std::vector<float> logits(static_cast<std::size_t>(f.vocab->id_limit()) + 7, 1.0f);
  c.mask(logits);
  int mismatches = 0;
  for (std::int32_t id = 0; id < f.vocab->id_limit() && mismatches < 5; ++id) {
    const bool simulated = c.allows(id);
    if (bit(words, id) != simulated || std::isfinite(logits[static_cast<std::size_t>(id)]) != simulated) {
      ++mismatches;
      ADD_FAILURE() << where << ": token " << id << " '" << f.tokenizer->token_bytes(id) << "' mask says "
                    << bit(words, id) << ", simulation says " << simulated;
    }
  }
  for (std::size_t id = static_cast<std::size_t>(f.vocab->id_limit()); id < logits.size(); ++id)
    EXPECT_TRUE(std::isinf(logits[id]));
}

// Generates one document. Random phase: the argmax of random logits after masking (a uniformly random allowed
// token; the end token is taken half the time it is allowed). Finish phase (after `random_steps`): the most
// closing single-byte token allowed (a quote ends a string, and an empty string is cheap elsewhere), so every
// run ends in bounded time.
std::string generate(const std::shared_ptr<const JsonGrammar>& grammar, std::uint64_t seed, int random_steps,
                     bool check_masks) {
  const Fixture& f = fixture();
  TokenConstraint c(grammar, *f.vocab);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> logits(static_cast<std::size_t>(f.vocab->id_limit()));
  std::vector<std::int32_t> output;
  const std::int32_t eos = f.vocab->eog_ids().front();
  for (int step = 0; step < 4000; ++step) {
    if (check_masks && step % 23 == 5) expect_mask_matches_simulation(c, "seed " + std::to_string(seed));
    std::int32_t chosen = -1;
    if (c.complete() && (step >= random_steps || uniform(rng) < 0.5f)) {
      chosen = eos;
    } else if (step < random_steps) {
      for (auto& l : logits) l = uniform(rng);
      c.mask(logits);
      float best = -INFINITY;
      for (std::size_t i = 0; i < logits.size(); ++i)
        if (logits[i] > best) best = logits[i], chosen = static_cast<std::int32_t>(i);
      EXPECT_TRUE(std::isfinite(best)) << "no token allowed at step " << step << " after "
                                       << escaped(f.tokenizer->decode(output));
    } else {
      for (unsigned char b : std::string("\"]}0,:"))
        if (chosen < 0 && c.allows(f.byte_token[b])) chosen = f.byte_token[b];
      for (int b = 0; b < 256 && chosen < 0; ++b)
        if (b != '{' && b != '[' && c.allows(f.byte_token[b])) chosen = f.byte_token[b];
      for (int b = 0; b < 256 && chosen < 0; ++b)
        if (c.allows(f.byte_token[b])) chosen = f.byte_token[b];
    }
    if (chosen < 0) {
      ADD_FAILURE() << "stuck: no token allowed after " << escaped(f.tokenizer->decode(output));
      break;
    }
    if (f.vocab->is_eog(chosen)) {
      EXPECT_TRUE(c.accept(chosen));
      EXPECT_TRUE(c.finished());
      std::string bytes;
      for (std::int32_t t : output) bytes += f.tokenizer->token_bytes(t);
      const std::string text = f.tokenizer->decode(output);
      EXPECT_EQ(text, bytes) << "the output is not well-formed UTF-8";
      return text;
    }
    EXPECT_TRUE(c.accept(chosen)) << "sampled token " << chosen << " was masked in but not accepted";
    output.push_back(chosen);
  }
  ADD_FAILURE() << "did not finish: " << escaped(f.tokenizer->decode(output));
  return "";
}

struct SchemaCase {
  const char* name;
  const char* schema;  // nullptr: json_object
};

const SchemaCase kSchemas[] = {
    {"json_object", nullptr},
    {"any_value", "{}"},
    {"person", R"({"type":"object","properties":{
        "name":{"type":"string","minLength":1,"maxLength":20},
        "age":{"type":"integer"},
        "email":{"type":"string","format":"email"},
        "tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3},
        "address":{"$ref":"#/$defs/Address"},
        "score":{"type":"number"}},
      "required":["name","age","address"],"additionalProperties":false,
      "$defs":{"Address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},
        "zip":{"type":["string","null"]}},"required":["street","city"],"additionalProperties":false}}})"},
    {"union", R"({"type":"object","properties":{"shape":{"oneOf":[
        {"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"],
         "additionalProperties":false},
        {"type":"object","properties":{"kind":{"const":"rect"},"w":{"type":"integer"},"h":{"type":"integer"}},
         "required":["kind","w","h"],"additionalProperties":false}]},
        "color":{"enum":["red","green","blue",null]},"note":{"type":"string","nullable":true}},
      "required":["shape","color"]})"},
    {"tuple", R"({"type":"array","prefixItems":[{"const":"v1"},{"type":"boolean"},{"type":"number"}],
      "items":{"type":"integer"},"minItems":3,"maxItems":5})"},
    {"extra_properties", R"({"type":"object","properties":{"id":{"type":"integer"},"label":{"type":"string"}},
      "required":["id"],"additionalProperties":{"type":"array","items":{"type":"integer"},"maxItems":2}})"},
    {"tree", R"({"type":"object","properties":{"value":{"type":"integer"},
      "children":{"type":"array","items":{"$ref":"#"},"maxItems":2}},"required":["value"]})"},
    {"scalar_union", R"({"type":["string","integer","null"],"minLength":2,"maxLength":6})"},
    {"pydantic", R"({"$defs":{"Status":{"enum":["open","closed"],"title":"Status","type":"string"},
      "Item":{"properties":{"sku":{"title":"Sku","type":"string"},"qty":{"default":1,"title":"Qty","type":"integer"}},
        "required":["sku"],"title":"Item","type":"object"}},
      "properties":{"status":{"allOf":[{"$ref":"#/$defs/Status"}],"description":"state"},
        "items":{"items":{"$ref":"#/$defs/Item"},"title":"Items","type":"array","minItems":1},
        "comment":{"anyOf":[{"type":"string"},{"type":"null"}],"default":null,"title":"Comment"}},
      "required":["status","items"],"title":"Order","type":"object"})"},
};

class ConstrainedSampling : public ::testing::TestWithParam<SchemaCase> {};

TEST_P(ConstrainedSampling, OutputAlwaysParsesAndValidates) {
  HEARTH_REQUIRE_SHARED();
  const SchemaCase& sc = GetParam();
  const auto grammar = sc.schema ? JsonGrammar::from_schema(sc.schema) : JsonGrammar::json_object();
  const nlohmann::json schema = sc.schema ? nlohmann::json::parse(sc.schema) : nlohmann::json{{"type", "object"}};
  constexpr int kRuns = 12;
  for (int run = 0; run < kRuns; ++run) {
    const std::uint64_t seed = 1000 * run + 17;
    const int random_steps = 10 + 15 * (run % 5);
    const std::string text = generate(grammar, seed, random_steps, /*check_masks=*/run < 2);
    if (HasFailure()) return;
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << "does not parse: " << text;
    EXPECT_EQ(validate_against_schema(schema, doc, schema), "") << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Schemas, ConstrainedSampling, ::testing::ValuesIn(kSchemas),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConstraintVocabulary, QwenTokensAndEndOfGeneration) {
  HEARTH_REQUIRE_SHARED();
  const Fixture& f = fixture();
  EXPECT_EQ(f.vocab->id_limit(), f.tokenizer->id_limit());
  // Every byte has a single-byte token (byte-level BPE), so no state is ever left without a way forward.
  for (int b = 0; b < 256; ++b) EXPECT_GE(f.byte_token[b], 0) << b;
  // Special and added tokens are never plain tokens; <|im_end|> ends generation.
  const auto im_end = f.tokenizer->token_id("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  EXPECT_TRUE(f.vocab->is_eog(*im_end));
  EXPECT_EQ(f.vocab->plain_index(*im_end), -1);
  const auto think = f.tokenizer->token_id("<think>");
  ASSERT_TRUE(think.has_value());
  EXPECT_EQ(f.vocab->plain_index(*think), -1);
  TokenConstraint c(JsonGrammar::json_object(), *f.vocab);
  EXPECT_FALSE(c.allows(*think));
  EXPECT_FALSE(c.allows(*im_end));
}

TEST(ConstraintVocabulary, MultiByteTokensAcrossStructure) {
  HEARTH_REQUIRE_SHARED();
  const Fixture& f = fixture();
  const auto grammar = JsonGrammar::from_schema(R"({"type":"object","properties":{"name":{"type":"string"},
      "n":{"type":"integer"}},"required":["name","n"],"additionalProperties":false})");
  TokenConstraint c(grammar, *f.vocab);
  // The tokenizer's own encoding of a valid document is accepted token by token, whatever its merges.
  const std::string doc = "{\"name\": \"caf\xC3\xA9 \xF0\x9F\x98\x80 \\\"q\\\"\", \"n\": -12}";
  for (std::int32_t t : f.tokenizer->encode(doc)) ASSERT_TRUE(c.accept(t)) << f.tokenizer->token_bytes(t);
  EXPECT_TRUE(c.complete());
  EXPECT_TRUE(c.allows(f.vocab->eog_ids().front()));
  // And a document that breaks the schema is refused at the first token that breaks it.
  TokenConstraint d(grammar, *f.vocab);
  bool refused = false;
  for (std::int32_t t : f.tokenizer->encode("{\"name\": \"x\", \"n\": 1.5}")) {
    if (!d.accept(t)) {
      refused = true;
      break;
    }
  }
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace hearth::constrain::test
