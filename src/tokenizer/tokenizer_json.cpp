// tokenizer.json (Hugging Face tokenizers) -> TokenizerSpec.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"
#include "util/log.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

using nlohmann::json;

// Ids beyond this are taken as a corrupt file rather than allocated.
constexpr std::int64_t kMaxTokenId = std::int64_t{1} << 24;

// A SAX reader that streams model.vocab and model.merges (the 11 MB bulk of the file) straight
// into vectors and builds an ordinary DOM for the small rest. It is about three times faster than
// parsing the whole file into a DOM.
class TokenizerJsonReader : public nlohmann::json_sax<json> {
 public:
  json root;
  std::vector<std::pair<std::string, std::int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  bool saw_vocab = false;
  bool saw_merges = false;
  std::string error;

  bool null() override { return scalar(json(nullptr)); }
  bool boolean(bool v) override { return scalar(json(v)); }
  bool number_integer(number_integer_t v) override {
    if (mode_ == Mode::kVocab) return vocab_id(v);
    return scalar(json(v));
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (mode_ == Mode::kVocab)
      return vocab_id(v > static_cast<number_unsigned_t>(kMaxTokenId) ? kMaxTokenId : static_cast<std::int64_t>(v));
    return scalar(json(v));
  }
  bool number_float(number_float_t v, const string_t&) override { return scalar(json(v)); }
  bool binary(binary_t&) override { return bad("unexpected binary value"); }

  bool string(string_t& v) override {
    if (mode_ == Mode::kMerges) {
      if (merge_depth_ == 2) {
        merge_parts_.push_back(std::move(v));
        return true;
      }
      // The older form: "a b".
      const std::size_t space = v.find(' ');
      if (space == std::string::npos) return bad("model.merges: '" + v + "' is not two tokens separated by a space");
      merges.emplace_back(v.substr(0, space), v.substr(space + 1));
      return true;
    }
    return scalar(json(std::move(v)));
  }

  bool key(string_t& k) override {
    if (mode_ == Mode::kVocab)
      vocab_key_ = std::move(k);
    else
      key_ = std::move(k);
    return true;
  }

  bool start_object(std::size_t) override {
    if (mode_ != Mode::kDom)
      return bad(mode_ == Mode::kVocab ? "model.vocab: expected token ids" : "model.merges: expected strings");
    if (in_model() && key_ == "vocab") {
      mode_ = Mode::kVocab;
      saw_vocab = true;
      return true;
    }
    push(json::object());
    return true;
  }

  bool end_object() override {
    if (mode_ == Mode::kVocab) {
      mode_ = Mode::kDom;
      return true;
    }
    pop();
    return true;
  }

  bool start_array(std::size_t) override {
    if (mode_ == Mode::kVocab) return bad("model.vocab: expected token ids");
    if (mode_ == Mode::kMerges) {
      if (merge_depth_ != 1) return bad("model.merges: expected pairs of strings");
      merge_depth_ = 2;
      merge_parts_.clear();
      return true;
    }
    if (in_model() && key_ == "merges") {
      mode_ = Mode::kMerges;
      merge_depth_ = 1;
      saw_merges = true;
      return true;
    }
    push(json::array());
    return true;
  }

  bool end_array() override {
    if (mode_ == Mode::kMerges) {
      if (merge_depth_ == 2) {
        if (merge_parts_.size() != 2) return bad("model.merges: a merge is not a pair of tokens");
        merges.emplace_back(std::move(merge_parts_[0]), std::move(merge_parts_[1]));
        merge_depth_ = 1;
      } else {
        mode_ = Mode::kDom;
      }
      return true;
    }
    pop();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    if (error.empty()) error = "not valid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  enum class Mode { kDom, kVocab, kMerges };

  bool bad(std::string message) {
    error = std::move(message);
    return false;
  }

  bool vocab_id(std::int64_t id) {
    if (id < 0 || id >= kMaxTokenId) return bad("model.vocab: token '" + vocab_key_ + "' has an invalid id");
    vocab.emplace_back(std::move(vocab_key_), id);
    return true;
  }

  // Directly inside the top-level "model" object.
  bool in_model() const { return stack_.size() == 2 && keys_[1] == "model" && stack_[1]->is_object(); }

  json* add(json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json* parent = stack_.back();
    if (parent->is_object()) {
      json& slot = (*parent)[key_];
      slot = std::move(v);
      return &slot;
    }
    parent->push_back(std::move(v));
    return &parent->back();
  }

  bool scalar(json&& v) {
    if (mode_ == Mode::kVocab) return bad("model.vocab: expected token ids");
    if (mode_ == Mode::kMerges) return bad("model.merges: expected strings");
    add(std::move(v));
    return true;
  }

  void push(json&& v) {
    const bool keyed = !stack_.empty() && stack_.back()->is_object();
    std::string k = keyed ? key_ : std::string();
    stack_.push_back(add(std::move(v)));
    keys_.push_back(std::move(k));
  }

  void pop() {
    stack_.pop_back();
    keys_.pop_back();
  }

  Mode mode_ = Mode::kDom;
  std::vector<json*> stack_;       // open containers of the DOM
  std::vector<std::string> keys_;  // the key each open container was stored under
  std::string key_;
  std::string vocab_key_;
  int merge_depth_ = 0;  // 1: in model.merges, 2: in one [a, b] pair
  std::vector<std::string> merge_parts_;
};

const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string string_member(const json& obj, const char* key, const std::string& fallback = "") {
  const json& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : fallback;
}

bool bool_member(const json& obj, const char* key, bool fallback) {
  const json& v = member(obj, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

void read_normalizer(const json& n, TokenizerSpec& spec) {
  if (n.is_null()) return;
  const std::string type = string_member(n, "type");
  if (type == "Sequence") {
    for (const json& step : member(n, "normalizers")) read_normalizer(step, spec);
    return;
  }
  const Normalization form = normalization_from_name(type);
  require(spec.normalization == Normalization::kNone || spec.normalization == form, "normalizer applies both {} and {}",
          normalization_name(spec.normalization), type);
  spec.normalization = form;
}

SplitBehavior split_behavior(const std::string& name) {
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  fail("pre_tokenizer: Split behavior '{}' is not supported", name);
}

void read_pre_tokenizer(const json& p, TokenizerSpec& spec, bool& byte_level) {
  if (p.is_null()) return;
  const std::string type = string_member(p, "type");
  if (type == "Sequence") {
    for (const json& step : member(p, "pretokenizers")) read_pre_tokenizer(step, spec, byte_level);
  } else if (type == "Split") {
    const json& pattern = member(p, "pattern");
    SplitRule rule;
    if (member(pattern, "Regex").is_string()) {
      rule.pattern = member(pattern, "Regex").get<std::string>();
    } else if (member(pattern, "String").is_string()) {
      rule.pattern = member(pattern, "String").get<std::string>();
      rule.literal = true;
    } else {
      fail("pre_tokenizer: Split has no Regex or String pattern");
    }
    rule.behavior = split_behavior(string_member(p, "behavior", "Isolated"));
    rule.invert = bool_member(p, "invert", false);
    spec.splits.push_back(std::move(rule));
  } else if (type == "ByteLevel") {
    byte_level = true;
    spec.add_prefix_space = bool_member(p, "add_prefix_space", false);
    if (bool_member(p, "use_regex", true)) spec.splits.push_back({kGpt2Pattern});
  } else {
    fail("pre_tokenizer type '{}' is not supported (Hearth reads byte-level BPE tokenizers)", type);
  }
}

// llama.cpp's name for the pre-tokenizer, so that a converted GGUF says which one it is.
std::string pre_name_of(const std::vector<SplitRule>& splits, Normalization normalization) {
  if (splits.size() != 1 || splits[0].literal || splits[0].invert || splits[0].behavior != SplitBehavior::kIsolated)
    return "";
  const std::string& p = splits[0].pattern;
  if (p == kQwen2Pattern && normalization == Normalization::kNfc) return "qwen2";
  if (p == kLlama3Pattern && normalization == Normalization::kNone) return "llama-bpe";
  if (p == kGpt2Pattern && normalization == Normalization::kNone) return "gpt-2";
  return "";
}

std::optional<TokenId> find_token(const TokenizerSpec& spec, const std::string& text) {
  for (const AddedToken& t : spec.added_tokens)
    if (t.content == text) return t.id;
  for (std::size_t id = 0; id < spec.tokens.size(); ++id)
    if (spec.kinds[id] == TokenKind::kNormal && spec.tokens[id] == text) return static_cast<TokenId>(id);
  return std::nullopt;
}

// A special token named by text in the config: a string, an AddedToken object, or null.
std::optional<std::string> token_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && member(v, "content").is_string()) return member(v, "content").get<std::string>();
  return std::nullopt;
}

// post_processor TemplateProcessing: a special token first/last in "single" means BOS/EOS are added.
void read_post_processor(const json& p, std::optional<std::string>& bos, std::optional<std::string>& eos) {
  const std::string type = string_member(p, "type");
  if (type == "Sequence") {
    for (const json& step : member(p, "processors")) read_post_processor(step, bos, eos);
    return;
  }
  if (type != "TemplateProcessing") return;
  const json& single = member(p, "single");
  if (!single.is_array() || single.empty()) return;
  auto special_of = [](const json& item) -> std::optional<std::string> {
    const json& s = member(item, "SpecialToken");
    if (member(s, "id").is_string()) return member(s, "id").get<std::string>();
    return std::nullopt;
  };
  bos = special_of(single.front());
  if (single.size() > 1) eos = special_of(single.back());
}

void read_config(const std::string& path, TokenizerSpec& spec) {
  json config;
  try {
    config = json::parse(read_file(path));
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", path, e.what());
  }
  auto resolve = [&](const char* key, std::optional<TokenId>& id) {
    const json& v = member(config, key);
    if (v.is_null() && config.is_object() && config.contains(key)) {
      id.reset();  // explicitly none (Qwen: "bos_token": null)
      return;
    }
    if (auto text = token_text(v)) {
      id = find_token(spec, *text);
      if (!id) spdlog::warn("{}: {} '{}' is not a token of the vocabulary; ignored", path, key, *text);
    }
  };
  resolve("bos_token", spec.bos_id);
  resolve("eos_token", spec.eos_id);
  resolve("pad_token", spec.pad_id);
  resolve("unk_token", spec.unk_id);
  spec.add_bos = bool_member(config, "add_bos_token", spec.add_bos);
  spec.add_eos = bool_member(config, "add_eos_token", spec.add_eos);
}

TokenizerSpec build_spec(TokenizerJsonReader& r) {
  const json& model = member(r.root, "model");
  require(model.is_object(), "no \"model\" section");
  const std::string type = string_member(model, "type", "BPE");
  require(type == "BPE", "model type '{}' is not supported (Hearth reads byte-level BPE tokenizers)", type);
  require(r.saw_vocab, "model.vocab is missing");
  require(r.saw_merges, "model.merges is missing");
  require(!bool_member(model, "byte_fallback", false), "BPE with byte_fallback is not supported");
  require(
      string_member(model, "continuing_subword_prefix").empty() && string_member(model, "end_of_word_suffix").empty(),
      "BPE with continuing_subword_prefix / end_of_word_suffix is not supported");

  TokenizerSpec spec;
  std::int64_t max_id = -1;
  for (const auto& [text, id] : r.vocab) max_id = std::max(max_id, id);
  const json& added = member(r.root, "added_tokens");
  for (const json& t : added) {
    const json& id = member(t, "id");
    require(id.is_number_integer() && id.get<std::int64_t>() >= 0 && id.get<std::int64_t>() < kMaxTokenId,
            "added_tokens: a token has no valid id");
    require(member(t, "content").is_string(), "added_tokens: token {} has no content", id.get<std::int64_t>());
    max_id = std::max(max_id, id.get<std::int64_t>());
  }
  require(max_id >= 0, "the vocabulary is empty");
  spec.tokens.resize(static_cast<std::size_t>(max_id + 1));
  spec.kinds.assign(spec.tokens.size(), TokenKind::kUnused);
  for (auto& [text, id] : r.vocab) {
    spec.tokens[id] = std::move(text);
    spec.kinds[id] = TokenKind::kNormal;
  }
  r.vocab.clear();
  r.vocab.shrink_to_fit();
  for (const json& t : added) {
    AddedToken a;
    a.id = static_cast<TokenId>(member(t, "id").get<std::int64_t>());
    a.content = member(t, "content").get<std::string>();
    a.special = bool_member(t, "special", false);
    a.lstrip = bool_member(t, "lstrip", false);
    a.rstrip = bool_member(t, "rstrip", false);
    a.single_word = bool_member(t, "single_word", false);
    a.normalized = bool_member(t, "normalized", !a.special);
    spec.tokens[a.id] = a.content;
    spec.kinds[a.id] = a.special ? TokenKind::kControl : TokenKind::kUserDefined;
    spec.added_tokens.push_back(std::move(a));
  }
  spec.merges = std::move(r.merges);
  spec.ignore_merges = bool_member(model, "ignore_merges", false);

  read_normalizer(member(r.root, "normalizer"), spec);
  bool byte_level = false;
  read_pre_tokenizer(member(r.root, "pre_tokenizer"), spec, byte_level);
  require(byte_level, "not a byte-level BPE tokenizer (its pre_tokenizer has no ByteLevel step)");
  spec.pre_name = pre_name_of(spec.splits, spec.normalization);

  if (auto unk = token_text(member(model, "unk_token"))) spec.unk_id = find_token(spec, *unk);
  std::optional<std::string> bos, eos;
  read_post_processor(member(r.root, "post_processor"), bos, eos);
  if (bos) {
    spec.bos_id = find_token(spec, *bos);
    spec.add_bos = spec.bos_id.has_value();
  }
  if (eos) {
    spec.eos_id = find_token(spec, *eos);
    spec.add_eos = spec.eos_id.has_value();
  }
  return spec;
}

}  // namespace

TokenizerSpec read_tokenizer_json(const std::string& json_path, const std::string& config_path) {
  TokenizerSpec spec;
  {
    TokenizerJsonReader reader;
    try {
      MappedFile file(json_path);
      const auto* begin = reinterpret_cast<const char*>(file.data());
      const bool ok = nlohmann::json::sax_parse(begin, begin + file.size(), &reader);
      if (!ok) fail("{}", reader.error.empty() ? std::string("not valid JSON") : reader.error);
      spec = build_spec(reader);
    } catch (...) {
      rethrow_with_context(json_path);
    }
  }
  if (!config_path.empty()) read_config(config_path, spec);
  return spec;
}

std::unique_ptr<Tokenizer> load_tokenizer_json(const std::string& json_path, const std::string& config_path) {
  TokenizerSpec spec = read_tokenizer_json(json_path, config_path);
  try {
    return std::make_unique<Tokenizer>(std::move(spec));
  } catch (...) {
    rethrow_with_context(json_path);
  }
}

}  // namespace hearth
