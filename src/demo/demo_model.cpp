#include "demo/demo_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "demo/bigram_weights.h"
#include "demo/bpe_trainer.h"
#include "demo/demo_corpus.h"
#include "format/safetensors_writer.h"
#include "tensor/dtype.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::demo {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr int kMerges = 240;
constexpr int kLayers = 2;
constexpr int kHeads = 4;
constexpr int kKvHeads = 2;
constexpr int kHeadDim = 64;
constexpr int kExperts = 8;
constexpr int kExpertsUsed = 2;
constexpr int kExpertFfn = 64;
const char* const kSpecials[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

const char* const kChatTemplate =
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

void write_json(const fs::path& path, const ordered_json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << j.dump(2) << '\n';
  require(static_cast<bool>(out), "cannot write {}", path.string());
}

ordered_json tokenizer_json(const TrainedBpe& bpe) {
  ordered_json vocab = ordered_json::object();
  for (std::size_t i = 0; i < bpe.vocab.size(); ++i) vocab[bpe.vocab[i]] = i;
  ordered_json merges = ordered_json::array();
  for (const auto& [a, b] : bpe.merges) merges.push_back({a, b});
  ordered_json added = ordered_json::array();
  for (std::size_t i = 0; i < std::size(kSpecials); ++i)
    added.push_back({{"id", bpe.vocab.size() + i},
                     {"content", kSpecials[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  ordered_json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false},
                             {"use_regex", false}};
  ordered_json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = added;
  j["normalizer"] = {{"type", "NFC"}};
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
        byte_level}}};
  j["post_processor"] = byte_level;
  j["decoder"] = byte_level;
  j["model"] = {{"type", "BPE"},         {"dropout", nullptr},         {"unk_token", nullptr},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                {"byte_fallback", false}, {"ignore_merges", false},  {"vocab", vocab},
                {"merges", merges}};
  return j;
}

class WeightWriter {
 public:
  explicit WeightWriter(unsigned seed) : rng_(seed) {}

  void add(const std::string& name, std::vector<std::int64_t> shape, const std::vector<float>& values) {
    SafetensorsTensor t;
    t.name = name;
    t.dtype = DType::BF16;
    t.shape = std::move(shape);
    t.bytes.resize(values.size() * 2);
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint16_t b = f32_to_bf16(values[i]);
      t.bytes[2 * i] = static_cast<std::uint8_t>(b & 0xff);
      t.bytes[2 * i + 1] = static_cast<std::uint8_t>(b >> 8);
    }
    parameters_ += static_cast<std::int64_t>(values.size());
    tensors_.push_back(std::move(t));
  }
  void add_random(const std::string& name, std::vector<std::int64_t> shape, float stddev) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = dist(rng_);
    add(name, std::move(shape), v);
  }
  void add_constant(const std::string& name, std::vector<std::int64_t> shape, float value) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    add(name, std::move(shape), std::vector<float>(static_cast<std::size_t>(n), value));
  }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  std::int64_t parameters() const { return parameters_; }

 private:
  std::mt19937 rng_;
  std::vector<SafetensorsTensor> tensors_;
  std::int64_t parameters_ = 0;
};

}  // namespace

DemoModelInfo write_demo_model(const std::string& folder, unsigned seed) {
  fs::create_directories(folder);
  const fs::path dir(folder);
  std::string corpus(demo_corpus());

  // 1. Tokenizer: train merges on the corpus, write tokenizer.json and tokenizer_config.json.
  PreTokenizer pre({SplitRule{kQwen2Pattern}});
  TrainedBpe bpe = train_bpe(pre.split(corpus), kMerges);
  const std::int64_t n_tokens = static_cast<std::int64_t>(bpe.vocab.size() + std::size(kSpecials));
  const std::int64_t vocab = (n_tokens + 63) / 64 * 64;  // padded embedding, as real models do
  const std::int64_t im_end = static_cast<std::int64_t>(bpe.vocab.size()) + 2;
  write_json(dir / "tokenizer.json", tokenizer_json(bpe));
  ordered_json tok_config = {{"add_bos_token", false},
                             {"add_prefix_space", false},
                             {"bos_token", nullptr},
                             {"eos_token", "<|im_end|>"},
                             {"pad_token", "<|endoftext|>"},
                             {"unk_token", nullptr},
                             {"model_max_length", 4096},
                             {"tokenizer_class", "Qwen2Tokenizer"},
                             {"chat_template", kChatTemplate}};
  write_json(dir / "tokenizer_config.json", tok_config);

  // 2. Bigram statistics of the corpus in the tokenizer's own ids; sentence ends may end the turn.
  auto tokenizer = load_tokenizer_json((dir / "tokenizer.json").string(), (dir / "tokenizer_config.json").string());
  std::vector<std::int32_t> ids = tokenizer->encode(corpus, false);
  std::vector<std::pair<std::int32_t, std::int32_t>> boosts;
  for (std::int32_t id : ids) {
    std::string_view bytes = tokenizer->token_bytes(id);
    if (!bytes.empty() && (bytes.back() == '.' || bytes.back() == '!' || bytes.back() == '?'))
      boosts.emplace_back(id, static_cast<std::int32_t>(im_end));
  }
  const std::vector<float> lm_head = bigram_logits(ids, vocab, 0.01f, boosts);

  // 3. Weights. The residual stream is one-hot (hidden = vocab); attention and expert outputs are
  // kept small so they perturb, but do not drown, the bigram signal.
  const std::int64_t hidden = vocab;
  WeightWriter w(seed);
  std::vector<float> embed(static_cast<std::size_t>(vocab * hidden), 0.0f);
  for (std::int64_t i = 0; i < vocab; ++i) embed[i * hidden + i] = 1.0f;
  w.add("model.embed_tokens.weight", {vocab, hidden}, embed);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    w.add_constant(p + "input_layernorm.weight", {hidden}, 1.0f);
    w.add_constant(p + "post_attention_layernorm.weight", {hidden}, 1.0f);
    w.add_random(p + "self_attn.q_proj.weight", {kHeads * kHeadDim, hidden}, 0.05f);
    w.add_random(p + "self_attn.k_proj.weight", {kKvHeads * kHeadDim, hidden}, 0.05f);
    w.add_random(p + "self_attn.v_proj.weight", {kKvHeads * kHeadDim, hidden}, 0.05f);
    w.add_random(p + "self_attn.o_proj.weight", {hidden, kHeads * kHeadDim}, 0.001f);
    w.add_constant(p + "self_attn.q_norm.weight", {kHeadDim}, 1.0f);
    w.add_constant(p + "self_attn.k_norm.weight", {kHeadDim}, 1.0f);
    w.add_random(p + "mlp.gate.weight", {kExperts, hidden}, 0.05f);
    for (int e = 0; e < kExperts; ++e) {
      std::string ep = p + "mlp.experts." + std::to_string(e) + ".";
      w.add_random(ep + "gate_proj.weight", {kExpertFfn, hidden}, 0.05f);
      w.add_random(ep + "up_proj.weight", {kExpertFfn, hidden}, 0.05f);
      w.add_random(ep + "down_proj.weight", {hidden, kExpertFfn}, 0.001f);
    }
  }
  w.add_constant("model.norm.weight", {hidden}, 1.0f / std::sqrt(static_cast<float>(hidden)));
  w.add("lm_head.weight", {vocab, hidden}, lm_head);
  write_safetensors((dir / "model.safetensors").string(), w.tensors());

  // 4. Config files.
  ordered_json config = {{"architectures", {"Qwen3MoeForCausalLM"}},
                         {"model_type", "qwen3_moe"},
                         {"vocab_size", vocab},
                         {"hidden_size", hidden},
                         {"intermediate_size", kExpertFfn * 2},
                         {"moe_intermediate_size", kExpertFfn},
                         {"num_hidden_layers", kLayers},
                         {"num_attention_heads", kHeads},
                         {"num_key_value_heads", kKvHeads},
                         {"head_dim", kHeadDim},
                         {"num_experts", kExperts},
                         {"num_experts_per_tok", kExpertsUsed},
                         {"norm_topk_prob", true},
                         {"decoder_sparse_step", 1},
                         {"mlp_only_layers", ordered_json::array()},
                         {"rms_norm_eps", 1e-6},
                         {"rope_theta", 1000000.0},
                         {"max_position_embeddings", 4096},
                         {"tie_word_embeddings", false},
                         {"attention_bias", false},
                         {"hidden_act", "silu"},
                         {"torch_dtype", "bfloat16"},
                         {"bos_token_id", im_end - 2},
                         {"eos_token_id", im_end}};
  write_json(dir / "config.json", config);
  ordered_json generation = {{"bos_token_id", im_end - 2}, {"eos_token_id", {im_end, im_end - 2}},
                             {"do_sample", true},          {"temperature", 0.7},
                             {"top_k", 20},                {"top_p", 0.95}};
  write_json(dir / "generation_config.json", generation);
  return {vocab, w.parameters()};
}

}  // namespace hearth::demo
