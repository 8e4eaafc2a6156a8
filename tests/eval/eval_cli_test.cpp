// `hearth bench`, `hearth perplexity` and `hearth kld` end to end (the built binary): JSON shapes,
// numbers against the test's own computation, and the error messages for bad arguments and inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "demo/demo_model.h"
#include "format/model_files.h"
#include "independent_scoring.h"
#include "model/model.h"
#include "model_sources.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::test {
namespace {

using ::testing::HasSubstr;

std::string quoted(const std::filesystem::path& p) { return shell_quote(p.string()); }

// The first `bytes` of a shared data file (plain English text with numbers): enough for a few chunks.
std::filesystem::path text_file(const TempDir& tmp, std::size_t bytes = 6000) {
  std::ifstream in(shared_dir() / "data" / "gsm8k" / "test.jsonl", std::ios::binary);
  std::string text(bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(bytes));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto path = tmp / "text.txt";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::filesystem::path write_file(const TempDir& tmp, const std::string& name, const std::string& content) {
  auto path = tmp / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// ---------------------------------------------------------------------------------------------- bench

TEST(BenchCommand, JsonHasEveryFieldAndTheModelsGeometry) {
  HEARTH_REQUIRE_SHARED();
  const auto gguf = converted_gguf("qwen3moe-tiny", DType::F32);
  auto r = run_hearth("bench " + quoted(gguf) + " -p 16 -n 4 -r 2 --warmup 1 -t 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"model", "arch", "file_bytes", "n_params", "weight_bytes", "bytes_per_token", "backend",
                          "quant_kernels", "cpu_features", "threads", "repetitions", "warmup", "seed", "load_seconds",
                          "tests", "peak_rss_bytes", "rss_file_bytes", "rss_anon_bytes"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["arch"], "qwen3moe");
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["repetitions"], 2);
  EXPECT_EQ(j["file_bytes"], static_cast<std::int64_t>(std::filesystem::file_size(gguf)));

  // qwen3moe-tiny (shared/models/README.md): V 151936, H 64, 3 layers, 4 heads / 2 KV x 32, 8 experts top-2
  // of FFN 32, q/k norms, untied output. Every tensor f32 in this file.
  const std::int64_t V = 151936, H = 64, L = 3, Q = 4 * 32, KV = 2 * 32, E = 8, K = 2, F = 32, D = 32;
  const std::int64_t attn = H * Q + 2 * H * KV + Q * H + 2 * D + 2 * H;  // q k v o, q/k norm, 2 layer norms
  const std::int64_t per_layer_dense = attn + E * H;                     // + router
  const std::int64_t experts = 3 * E * F * H;
  EXPECT_EQ(j["n_params"], 2 * V * H + L * (per_layer_dense + experts) + H);
  EXPECT_EQ(j["weight_bytes"], 4 * (2 * V * H + L * (per_layer_dense + experts) + H));
  // One embedding row, the whole output matrix, and K of E experts per layer.
  EXPECT_EQ(j["bytes_per_token"], 4 * (H + V * H + L * (per_layer_dense + experts / E * K) + H));

  ASSERT_EQ(j["tests"].size(), 2u);
  const auto& pp = j["tests"][0];
  const auto& tg = j["tests"][1];
  EXPECT_EQ(pp["name"], "pp16");
  EXPECT_EQ(pp["n_prompt"], 16);
  EXPECT_EQ(pp["n_gen"], 0);
  EXPECT_EQ(tg["name"], "tg4");
  EXPECT_EQ(tg["n_gen"], 4);
  for (const auto* t : {&pp, &tg}) {
    ASSERT_EQ((*t)["samples_ts"].size(), 2u);
    ASSERT_EQ((*t)["samples_s"].size(), 2u);
    const double n = (*t)["n_prompt"].get<double>() + (*t)["n_gen"].get<double>();
    for (int i = 0; i < 2; ++i)
      EXPECT_NEAR((*t)["samples_ts"][i].get<double>(), n / (*t)["samples_s"][i].get<double>(), 1e-6 * n);
    const double mean = ((*t)["samples_ts"][0].get<double>() + (*t)["samples_ts"][1].get<double>()) / 2;
    EXPECT_NEAR((*t)["avg_ts"].get<double>(), mean, 1e-9 * mean);
    EXPECT_GE((*t)["stddev_ts"].get<double>(), 0.0);
  }
  // The weights are mapped and read: the peak covers at least the bytes one token reads.
  EXPECT_GE(j["peak_rss_bytes"].get<std::int64_t>(), j["bytes_per_token"].get<std::int64_t>());
  // Progress goes to stderr, with the warm-up marked.
  EXPECT_THAT(r.err, HasSubstr("warm-up pp16"));
}

TEST(BenchCommand, PrintsATableAndSkipsATestWithZero) {
  HEARTH_REQUIRE_SHARED();
  auto r = run_hearth("bench " + quoted(hf_model_dir("qwen3-tiny")) + " -p 0 -n 3 -r 1 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| model | size | params | backend | threads | test | t/s |"));
  EXPECT_THAT(r.out, HasSubstr("| tg3 |"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("| pp")));
  EXPECT_THAT(r.out, HasSubstr("peak RSS:"));
  EXPECT_THAT(r.out, HasSubstr("weights read per generated token:"));
}

TEST(BenchCommand, RejectsBadArguments) {
  HEARTH_REQUIRE_SHARED();
  const std::string model = quoted(converted_gguf("qwen3-tiny", DType::F32));
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"-p 0 -n 0", "nothing to measure: -p and -n are both 0"},
           {"-p -3", "-p must be >= 0"},
           {"-r 0", "-r must be >= 1"},
           {"-t -2", "-t must be >= 0"},
           {"-p 100000", "-p 100000 exceeds the model's context length"},
       }) {
    auto r = run_hearth("bench " + model + " " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_THAT(r.err, HasSubstr("error: " + c.message)) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
  TempDir tmp;
  auto r = run_hearth("bench " + quoted(tmp / "missing.gguf"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: "));
  auto bad_flag = run_hearth("bench " + model + " -p abc");
  EXPECT_NE(bad_flag.exit_code, 0);
}

// ----------------------------------------------------------------------------------------- perplexity

TEST(PerplexityCommand, MatchesAnIndependentComputation) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  const auto text = text_file(tmp);
  const auto gguf = converted_gguf("qwen2-tiny", DType::F32);
  auto r = run_hearth("perplexity " + quoted(gguf) + " --file " + quoted(text) + " --ctx 96 --chunks 3 -t 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);

  // The test's own tokenization, forward passes and log-softmax.
  ModelFiles files = open_model_files(gguf.string());
  auto tokenizer = load_tokenizer(files);
  std::ifstream in(text, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  const std::vector<std::int32_t> tokens = tokenizer->encode(content.str(), /*parse_special=*/false);
  cpu::CpuBackend backend(2);
  auto model = load_model(files, backend);
  long double sum = 0;
  int count = 0;
  for (std::int64_t c = 0; c < 3; ++c) {
    const auto rows = chunk_logits(*model, tokens, c, 96);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto target = static_cast<std::size_t>(tokens[static_cast<std::size_t>(c * 96 + 48) + i + 1]);
      sum -= log_softmax(rows[i])[target];
      ++count;
    }
  }
  EXPECT_EQ(j["text_tokens"], tokens.size());
  EXPECT_EQ(j["ctx"], 96);
  EXPECT_EQ(j["chunks"], 3);
  EXPECT_EQ(j["tokens_scored"], count);
  EXPECT_EQ(j["chunk_ppl"].size(), 3u);
  const double ppl = std::exp(static_cast<double>(sum / count));
  EXPECT_NEAR(j["ppl"].get<double>(), ppl, 1e-9 * ppl);
  EXPECT_NEAR(j["chunk_ppl"][2].get<double>(), ppl, 1e-9 * ppl);
  EXPECT_GT(j["ppl_error"].get<double>(), 0.0);
  EXPECT_THAT(r.err, HasSubstr("[3/3] PPL = "));
}

TEST(PerplexityCommand, PrintsRunningAndFinalEstimates) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  auto r = run_hearth("perplexity " + quoted(hf_model_dir("qwen3-tiny")) + " --file " + quoted(text_file(tmp)) +
                      " --ctx 64 --chunks 2 -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("[1/2] PPL = "));
  EXPECT_THAT(r.out, HasSubstr("[2/2] PPL = "));
  EXPECT_THAT(r.out, HasSubstr("Final estimate: PPL = "));
}

TEST(PerplexityCommand, RejectsEmptyAndShortTextsAndBadContexts) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  const std::string model = quoted(hf_model_dir("qwen3-tiny"));
  auto empty = run_hearth("perplexity " + model + " --file " + quoted(write_file(tmp, "empty.txt", "")));
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("is empty"));
  auto missing = run_hearth("perplexity " + model + " --file " + quoted(tmp / "nope.txt"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("cannot open text file"));
  auto short_text = run_hearth("perplexity " + model + " --file " + quoted(write_file(tmp, "s.txt", "Hello world.")));
  EXPECT_EQ(short_text.exit_code, 1);
  EXPECT_THAT(short_text.err, HasSubstr("tokens long; --ctx 512 needs at least 512"));
  auto tiny_ctx = run_hearth("perplexity " + model + " --file " + quoted(text_file(tmp)) + " --ctx 4");
  EXPECT_EQ(tiny_ctx.exit_code, 1);
  EXPECT_THAT(tiny_ctx.err, HasSubstr("--ctx must be at least 8"));
  auto huge_ctx = run_hearth("perplexity " + model + " --file " + quoted(text_file(tmp)) + " --ctx 100000");
  EXPECT_EQ(huge_ctx.exit_code, 1);
  EXPECT_THAT(huge_ctx.err, HasSubstr("exceeds the model's context length"));
}

// ------------------------------------------------------------------------------------------------ kld

TEST(KldCommand, ModelAgainstItselfIsZeroWithFullAgreement) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  const std::string model = quoted(converted_gguf("qwen3moe-tiny", DType::F32));
  auto r = run_hearth("kld " + model + " --reference " + model + " --file " + quoted(text_file(tmp)) +
                      " --ctx 64 --chunks 2 -t 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tokens_scored"], 2 * 31);
  EXPECT_EQ(j["kld_mean"].get<double>(), 0.0);
  EXPECT_EQ(j["kld_max"].get<double>(), 0.0);
  EXPECT_EQ(j["top1_agreement"].get<double>(), 1.0);
  EXPECT_EQ(j["ppl_ratio"].get<double>(), 1.0);
  EXPECT_EQ(j["ppl_model"], j["ppl_reference"]);
}

TEST(KldCommand, F16AgainstF32IsSmallButPositive) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  auto r = run_hearth("kld " + quoted(converted_gguf("qwen3moe-tiny", DType::F16)) + " --reference " +
                      quoted(converted_gguf("qwen3moe-tiny", DType::F32)) + " --file " + quoted(text_file(tmp)) +
                      " --ctx 128 --chunks 3 -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("mean KLD        = "));
  EXPECT_THAT(r.out, HasSubstr("top-1 agreement = "));

  auto j = nlohmann::json::parse(run_hearth("kld " + quoted(converted_gguf("qwen3moe-tiny", DType::F16)) +
                                            " --reference " + quoted(converted_gguf("qwen3moe-tiny", DType::F32)) +
                                            " --file " + quoted(text_file(tmp)) + " --ctx 128 --chunks 3 --json")
                                     .out);
  EXPECT_GT(j["kld_mean"].get<double>(), 0.0);
  EXPECT_LT(j["kld_mean"].get<double>(), 1e-3);
  EXPECT_GE(j["top1_agreement"].get<double>(), 0.95);
  EXPECT_NEAR(j["ppl_ratio"].get<double>(), 1.0, 0.01);
}

TEST(KldCommand, RejectsModelsWithDifferentVocabularies) {
  HEARTH_REQUIRE_SHARED();
  TempDir tmp;
  const auto demo = tmp / "demo";
  demo::write_demo_model(demo.string());
  auto r = run_hearth("kld " + quoted(demo) + " --reference " + quoted(hf_model_dir("qwen3moe-tiny")) + " --file " +
                      quoted(text_file(tmp)));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("KL divergence needs the same vocabulary"));
  auto missing_ref = run_hearth("kld " + quoted(demo) + " --file " + quoted(text_file(tmp)));
  EXPECT_NE(missing_ref.exit_code, 0);
  EXPECT_THAT(missing_ref.err, HasSubstr("--reference"));
}

}  // namespace
}  // namespace hearth::test
