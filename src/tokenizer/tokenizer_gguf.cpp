// GGUF tokenizer.ggml.* metadata -> TokenizerSpec.
#include <algorithm>
#include <limits>

#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"
#include "util/log.h"

namespace hearth {
namespace {

struct PreTokenizerPreset {
  const char* name;
  const char* pattern;
  Normalization normalization;
  bool ignore_merges;
};

// llama.cpp's tokenizer.ggml.pre names for the byte-level BPE families Hearth reads. Qwen's
// tokenizer.json normalizes to NFC, so its preset does too (llama.cpp itself skips that step).
const PreTokenizerPreset kPresets[] = {
    {"qwen2", kQwen2Pattern, Normalization::kNfc, false},
    {"deepseek-r1-qwen", kQwen2Pattern, Normalization::kNone, false},
    {"llama-bpe", kLlama3Pattern, Normalization::kNone, true},
    {"llama3", kLlama3Pattern, Normalization::kNone, true},
    {"gpt-2", kGpt2Pattern, Normalization::kNone, false},
    {"gpt2", kGpt2Pattern, Normalization::kNone, false},
};

std::optional<TokenId> optional_id(const GgufFile& f, const std::string& key) {
  const std::int64_t id = f.get_int_or(key, -1);
  if (id < 0 || id > std::numeric_limits<TokenId>::max()) return std::nullopt;
  return static_cast<TokenId>(id);
}

}  // namespace

TokenizerSpec read_tokenizer_gguf(const GgufFile& f) {
  TokenizerSpec spec;
  try {
    const std::string model = f.get_string_or("tokenizer.ggml.model", "");
    require(!model.empty(), "no tokenizer (tokenizer.ggml.model is missing)");
    require(model == "gpt2", "tokenizer.ggml.model '{}' is not supported (Hearth reads byte-level BPE, 'gpt2')", model);

    spec.tokens = f.get_string_array("tokenizer.ggml.tokens");
    require(!spec.tokens.empty(), "tokenizer.ggml.tokens is empty");
    require(spec.tokens.size() < (std::size_t{1} << 31), "tokenizer.ggml.tokens has too many entries");
    if (f.has("tokenizer.ggml.token_type")) {
      const std::vector<std::int64_t> types = f.get_int_array("tokenizer.ggml.token_type");
      require(types.size() == spec.tokens.size(), "tokenizer.ggml.token_type has {} entries for {} tokens",
              types.size(), spec.tokens.size());
      spec.kinds.reserve(types.size());
      for (std::int64_t t : types) spec.kinds.push_back(token_kind_from_gguf(t));
    } else {
      spec.kinds.assign(spec.tokens.size(), TokenKind::kNormal);
    }
    for (std::size_t id = 0; id < spec.tokens.size(); ++id) {
      const TokenKind kind = spec.kinds[id];
      if (kind == TokenKind::kNormal || kind == TokenKind::kUnused || spec.tokens[id].empty()) continue;
      AddedToken a;
      a.id = static_cast<TokenId>(id);
      a.content = spec.tokens[id];
      a.special = kind != TokenKind::kUserDefined;
      spec.added_tokens.push_back(std::move(a));
    }

    if (f.has("tokenizer.ggml.merges")) {
      std::vector<std::string> merges = f.get_string_array("tokenizer.ggml.merges");
      spec.merges.reserve(merges.size());
      for (std::size_t i = 0; i < merges.size(); ++i) {
        const std::string& m = merges[i];
        const std::size_t space = m.find(' ', 1);
        require(space != std::string::npos && space + 1 < m.size(),
                "tokenizer.ggml.merges[{}] '{}' is not two tokens separated by a space", i, m);
        spec.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
      }
    }

    std::string pre = f.get_string_or("tokenizer.ggml.pre", "");
    if (pre.empty() || pre == "default") {
      spdlog::warn("{}: tokenizer.ggml.pre is {}; using GPT-2's pre-tokenizer", f.path(),
                   pre.empty() ? "missing" : "'default'");
      pre = "gpt-2";
    }
    const auto preset = std::find_if(std::begin(kPresets), std::end(kPresets),
                                     [&](const PreTokenizerPreset& p) { return pre == p.name; });
    require(preset != std::end(kPresets),
            "tokenizer.ggml.pre '{}' is not supported (known: qwen2, deepseek-r1-qwen, llama-bpe, gpt-2)", pre);
    spec.splits.push_back({preset->pattern});
    spec.normalization = preset->normalization;
    spec.ignore_merges = preset->ignore_merges;
    spec.pre_name = pre;

    spec.bos_id = optional_id(f, "tokenizer.ggml.bos_token_id");
    spec.eos_id = optional_id(f, "tokenizer.ggml.eos_token_id");
    spec.eot_id = optional_id(f, "tokenizer.ggml.eot_token_id");
    spec.eom_id = optional_id(f, "tokenizer.ggml.eom_token_id");
    spec.pad_id = optional_id(f, "tokenizer.ggml.padding_token_id");
    spec.unk_id = optional_id(f, "tokenizer.ggml.unknown_token_id");
    spec.add_bos = f.get_bool_or("tokenizer.ggml.add_bos_token", false);
    spec.add_eos = f.get_bool_or("tokenizer.ggml.add_eos_token", false);
  } catch (...) {
    rethrow_with_context(f.path());
  }
  return spec;
}

std::unique_ptr<Tokenizer> load_tokenizer_gguf(const GgufFile& file) {
  TokenizerSpec spec = read_tokenizer_gguf(file);
  try {
    return std::make_unique<Tokenizer>(std::move(spec));
  } catch (...) {
    rethrow_with_context(file.path());
  }
}

}  // namespace hearth
