// Quantized tiny models against transformers (shared/reference): a Q8_0 model's last-position logits stay close to
// the reference (bounds below; the 2e-2 is checked at real width in wide_model_test.cpp) and its greedy
// continuations are the reference's; q4_k_m models keep the top-1 token. Also the mixture rule of format/quantize_mix.h on a realistic layer count, and `hearth quantize` /
// `hearth convert --type` end to end: the types in the written file, the metadata, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "format/gguf_reader.h"
#include "format/model_files.h"
#include "format/quantize.h"
#include "format/quantize_mix.h"
#include "model/model.h"
#include "model_sources.h"
#include "reference_data.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::test {
namespace {

namespace fs = std::filesystem;

// NAME converted to f32 and quantized with `mix`, once per test process.
fs::path quantized_gguf(const std::string& name, const std::string& mix) {
  static std::mutex mutex;
  static std::unique_ptr<TempDir> dir;
  static std::map<std::string, fs::path> done;
  const fs::path f32 = converted_gguf(name, DType::F32);
  std::lock_guard<std::mutex> lock(mutex);
  if (!dir) dir = std::make_unique<TempDir>();
  const std::string key = name + "-" + mix;
  if (auto it = done.find(key); it != done.end()) return it->second;
  QuantizeOptions options;
  options.mix = *find_quant_mix(mix);
  const fs::path out = *dir / (key + ".gguf");
  quantize_gguf(f32.string(), out.string(), options);
  done[key] = out;
  return out;
}

// How far below the best logit a quantized model's top-1 token may score in the full-precision model: 8-bit
// weights move these tiny random models' logits by up to ~1 (of ~15-40), so their argmax may flip between
// near-equal candidates (measured margins of the flips: 0.01-0.27), but never to a clearly worse token.
constexpr double kNearTie = 0.35;

// The number of prompt positions where the model's top-1 token is transformers' top-1.
std::int64_t top1_agreement(Model& model, const Reference& ref, std::int64_t* positions) {
  std::int64_t same = 0;
  for (const ReferencePrompt& rp : ref.prompts) {
    const PromptRun run = run_prompt(model, rp.ids, 1);
    for (std::size_t t = 0; t < rp.ids.size(); ++t, ++*positions)
      same += argmax(run.logits.row(static_cast<std::int64_t>(t))) == rp.topk_ids[t][0];
  }
  return same;
}

class QuantizedModelTest : public ::testing::TestWithParam<std::string> {};

// Q8_0 against transformers: last-position logits within 0.1 of the largest logit on every prompt and 3e-2 on
// average (8-bit weights give 2-7% on these small random models, the same with f32 arithmetic on the decoded
// weights; a wrong kernel gives > 50%), the top-1 token at >= 90% of prompt positions (the long prompts have many
// near-ties), and the greedy continuation step by step: fed the reference continuation, the Q8_0 model picks the
// reference token, or one the f32 model scores within kNearTie of it.
TEST_P(QuantizedModelTest, Q8_0MatchesReference) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", GetParam());
  const fs::path path = quantized_gguf(GetParam(), "q8_0");
  {
    const GgufFile f(path.string());
    EXPECT_EQ(f.get_int("general.file_type"), 7);
    for (const TensorView& t : f.tensors()) {
      const bool f32 = t.rank() == 1 || t.name.ends_with("ffn_gate_inp.weight");
      EXPECT_EQ(t.dtype, f32 ? DType::F32 : DType::Q8_0) << t.name;
    }
  }
  ModelFiles q8_files = open_model_files(path.string());
  ModelFiles f32_files = open_model_files(converted_gguf(GetParam(), DType::F32).string());
  cpu::CpuBackend backend(2);
  auto q8 = load_model(q8_files, backend);
  auto f32 = load_model(f32_files, backend);

  double worst = 0, sum = 0;
  std::int64_t steps = 0, same_steps = 0;
  for (std::size_t p = 0; p < ref.prompts.size(); ++p) {
    const ReferencePrompt& rp = ref.prompts[p];
    SCOPED_TRACE("prompt " + rp.name);
    std::vector<std::int32_t> forced = rp.ids;  // the prompt, then the reference continuation
    forced.insert(forced.end(), rp.greedy.begin(), rp.greedy.end() - 1);
    const PromptRun q = run_prompt(*q8, forced, 1);
    const PromptRun f = run_prompt(*f32, forced, 1);
    const std::int64_t last = static_cast<std::int64_t>(rp.ids.size()) - 1;
    const double err = relative_error(q.logits.row(last), ref.last(p));
    EXPECT_LE(err, 0.1);
    worst = std::max(worst, err);
    sum += err;
    for (std::size_t i = 0; i < rp.greedy.size(); ++i, ++steps) {
      const auto fr = f.logits.row(last + static_cast<std::int64_t>(i));
      ASSERT_EQ(argmax(fr), rp.greedy[i]) << "the f32 model left the reference continuation at step " << i;
      const std::int32_t ours = argmax(q.logits.row(last + static_cast<std::int64_t>(i)));
      same_steps += ours == rp.greedy[i];
      EXPECT_LE(fr[rp.greedy[i]] - fr[ours], kNearTie) << "step " << i << ": q8_0 picks " << ours;
    }
  }
  const double mean = sum / static_cast<double>(ref.prompts.size());
  EXPECT_LE(mean, 3e-2);
  std::int64_t positions = 0;
  const std::int64_t same = top1_agreement(*q8, ref, &positions);
  EXPECT_GE(static_cast<double>(same), 0.9 * static_cast<double>(positions)) << same << " of " << positions;
  std::printf(
      "  %s q8_0: last-position relative error worst %.3g mean %.3g; top-1 = reference at %lld/%lld prompt "
      "positions, %lld/%lld continuation steps\n",
      GetParam().c_str(), worst, mean, static_cast<long long>(same), static_cast<long long>(positions),
      static_cast<long long>(same_steps), static_cast<long long>(steps));
}

// On the tiny models most rows are shorter than a K-quant super-block, so q4_k_m falls back to Q8_0 there; the
// model must load and keep transformers' top-1 token as Q8_0 does.
TEST_P(QuantizedModelTest, Q4KMKeepsTopToken) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", GetParam());
  ModelFiles files = open_model_files(quantized_gguf(GetParam(), "q4_k_m").string());
  cpu::CpuBackend backend(2);
  auto model = load_model(files, backend);
  std::int64_t positions = 0;
  const std::int64_t same = top1_agreement(*model, ref, &positions);
  EXPECT_GE(static_cast<double>(same), 0.9 * static_cast<double>(positions)) << same << " of " << positions;
}

INSTANTIATE_TEST_SUITE_P(TinyModels, QuantizedModelTest, ::testing::Values("qwen3moe-tiny", "qwen3-tiny", "qwen2-tiny"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

// The mixture rule at Qwen3-30B-A3B width with 24 layers (docs/quantization.md): the layers whose attn_v and
// ffn_down get Q6_K in q4_k_m are the first and last three and every third from layer 5 (llama.cpp's choice).
TEST(QuantMix, RuleAtRealisticWidth) {
  const TensorTypePlan m(*find_quant_mix("q4_k_m"), 24, true);
  const std::vector<int> more_bits = {0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23};
  for (int layer = 0; layer < 24; ++layer) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    const bool more = std::find(more_bits.begin(), more_bits.end(), layer) != more_bits.end();
    const DType want = more ? DType::Q6_K : DType::Q4_K;
    EXPECT_EQ(m.type_for(blk + "attn_v.weight", {512, 2048}), want) << layer;
    EXPECT_EQ(m.type_for(blk + "ffn_down_exps.weight", {128, 2048, 768}), want) << layer;
    EXPECT_EQ(m.type_for(blk + "ffn_gate_exps.weight", {128, 768, 2048}), DType::Q4_K) << layer;
    EXPECT_EQ(m.type_for(blk + "attn_q.weight", {4096, 2048}), DType::Q4_K) << layer;
    EXPECT_EQ(m.type_for(blk + "ffn_gate_inp.weight", {128, 2048}), DType::F32) << layer;
    EXPECT_EQ(m.type_for(blk + "attn_norm.weight", {2048}), DType::F32) << layer;
  }
  EXPECT_EQ(m.type_for("output.weight", {151936, 2048}), DType::Q6_K);
  EXPECT_EQ(m.type_for("token_embd.weight", {151936, 2048}), DType::Q4_K);
  // Tied embeddings: token_embd is the output projection.
  EXPECT_EQ(TensorTypePlan(*find_quant_mix("q4_k_m"), 24, false).type_for("token_embd.weight", {151936, 2048}),
            DType::Q6_K);
  // Rows that are not whole super-blocks: Q8_0 when a multiple of 32, else F16.
  EXPECT_EQ(m.type_for("blk.3.attn_q.weight", {128, 64}), DType::Q8_0);
  EXPECT_EQ(m.type_for("blk.3.attn_q.weight", {128, 40}), DType::F16);

  const TensorTypePlan s(*find_quant_mix("q4_k_s"), 24, true);
  EXPECT_EQ(s.type_for("blk.3.attn_v.weight", {512, 2048}), DType::Q5_K);
  EXPECT_EQ(s.type_for("blk.4.attn_v.weight", {512, 2048}), DType::Q4_K);
  EXPECT_EQ(s.type_for("blk.2.ffn_down.weight", {2048, 6144}), DType::Q5_K);
  EXPECT_EQ(s.type_for("blk.3.ffn_down.weight", {2048, 6144}), DType::Q4_K);
  const TensorTypePlan q8(*find_quant_mix("Q8_0"), 24, true);
  EXPECT_EQ(q8.type_for("output.weight", {151936, 2048}), DType::Q8_0);
  EXPECT_EQ(q8.type_for("blk.0.attn_v.weight", {512, 2048}), DType::Q8_0);
  const TensorTypePlan q6(*find_quant_mix("q6_k"), 24, true);
  EXPECT_EQ(q6.type_for("blk.7.ffn_up_exps.weight", {128, 768, 2048}), DType::Q6_K);
  const TensorTypePlan q5(*find_quant_mix("q5_k_m"), 24, true);
  EXPECT_EQ(q5.type_for("blk.5.attn_v.weight", {512, 2048}), DType::Q6_K);
  EXPECT_EQ(q5.type_for("blk.6.attn_v.weight", {512, 2048}), DType::Q5_K);
  EXPECT_FALSE(find_quant_mix("q3_k_m").has_value());
  // llama.cpp's LLAMA_FTYPE numbers.
  EXPECT_EQ(find_quant_mix("q4_k_m")->file_type, 15u);
  EXPECT_EQ(find_quant_mix("q4_k_s")->file_type, 14u);
  EXPECT_EQ(find_quant_mix("q5_k_m")->file_type, 17u);
  EXPECT_EQ(find_quant_mix("q6_k")->file_type, 18u);
  EXPECT_EQ(find_quant_mix("q8_0")->file_type, 7u);
  EXPECT_EQ(find_quant_mix("q4_0")->file_type, 2u);
  EXPECT_EQ(find_quant_mix("bf16")->file_type, 32u);
}

std::string q(const fs::path& p) { return shell_quote(p.string()); }

TEST(QuantizeCli, WritesTheMixtureAndKeepsMetadata) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  const fs::path in = converted_gguf("qwen3moe-tiny", DType::BF16);
  const fs::path out = dir / "q4km.gguf";
  auto r = run_hearth("quantize " + q(in) + " " + q(out) + " Q4_K_M -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const GgufFile src(in.string()), dst(out.string());
  EXPECT_EQ(dst.get_int("general.file_type"), 15);
  EXPECT_EQ(dst.get_int("general.quantization_version"), 2);
  EXPECT_EQ(dst.get_string_array("tokenizer.ggml.tokens"), src.get_string_array("tokenizer.ggml.tokens"));
  EXPECT_EQ(dst.get_int("qwen3moe.expert_count"), src.get_int("qwen3moe.expert_count"));
  ASSERT_EQ(dst.tensors().size(), src.tensors().size());
  for (std::size_t i = 0; i < src.tensors().size(); ++i) {
    const TensorView& t = dst.tensors()[i];
    EXPECT_EQ(t.name, src.tensors()[i].name);
    EXPECT_EQ(t.shape, src.tensors()[i].shape);
    // Tiny rows (64, 32 or 128 values) hold no whole K-quant super-block: Q8_0 fallback; vectors and router F32.
    const bool f32 = t.rank() == 1 || t.name.ends_with("ffn_gate_inp.weight");
    EXPECT_EQ(t.dtype, f32 ? DType::F32 : DType::Q8_0) << t.name;
  }
}

TEST(QuantizeCli, ConvertTypeEqualsQuantizeOfTheConvertedFile) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  auto r = run_hearth("convert " + q(hf_model_dir("qwen2-tiny")) + " -o " + q(dir / "c.gguf") + " --type q8_0 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const GgufFile direct((dir / "c.gguf").string());
  const GgufFile twostep(quantized_gguf("qwen2-tiny", "q8_0").string());
  EXPECT_EQ(direct.get_int("general.file_type"), 7);
  ASSERT_EQ(direct.tensors().size(), twostep.tensors().size());
  for (std::size_t i = 0; i < direct.tensors().size(); ++i) {
    const TensorView& a = direct.tensors()[i];
    const TensorView& b = twostep.tensors()[i];
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.dtype, b.dtype) << a.name;
    ASSERT_EQ(a.nbytes, b.nbytes) << a.name;
    EXPECT_EQ(std::memcmp(a.data, b.data, static_cast<std::size_t>(a.nbytes)), 0) << a.name;
  }
}

TEST(QuantizeCli, RefusesBadInput) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  const fs::path in = converted_gguf("qwen3-tiny", DType::F16);
  const fs::path out = dir / "out.gguf";

  auto unknown = run_hearth("quantize " + q(in) + " " + q(out) + " q3_k_xl");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err,
            "error: unknown quantization type 'q3_k_xl' (expected one of: f32, f16, bf16, q8_0, q4_0, q4_k_s, q4_k_m, "
            "q5_k_m, q6_k)\n");

  auto missing = run_hearth("quantize " + q(dir / "none.gguf") + " " + q(out) + " q8_0");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u) << missing.err;
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;

  const fs::path q8 = quantized_gguf("qwen3-tiny", "q8_0");
  auto requant = run_hearth("quantize " + q(q8) + " " + q(out) + " q4_0");
  EXPECT_EQ(requant.exit_code, 1);
  EXPECT_NE(requant.err.find("already quantized"), std::string::npos) << requant.err;
  EXPECT_EQ(std::count(requant.err.begin(), requant.err.end(), '\n'), 1) << requant.err;
  EXPECT_FALSE(fs::exists(out));

  auto allowed = run_hearth("quantize " + q(q8) + " " + q(out) + " q4_0 --allow-requantize -q");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(GgufFile(out.string()).find_tensor("blk.0.attn_q.weight")->dtype, DType::Q4_0);

  auto not_gguf =
      run_hearth("quantize " + q(hf_model_dir("qwen3-tiny") / "config.json") + " " + q(dir / "x.gguf") + " q8_0");
  EXPECT_EQ(not_gguf.exit_code, 1);
  EXPECT_EQ(not_gguf.err.rfind("error: ", 0), 0u) << not_gguf.err;
  EXPECT_FALSE(fs::exists(dir / "x.gguf"));
}

}  // namespace
}  // namespace hearth::test
