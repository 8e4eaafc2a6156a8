#include "format/hf_tokenizer_gguf.h"

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "format/json_file.h"
#include "util/error.h"
#include "util/log.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool starts_ends(const std::string& s, std::string_view head, std::string_view tail) {
  return s.size() >= head.size() + tail.size() && s.starts_with(head) && s.ends_with(tail);
}

// llama.cpp's converter marks some added tokens CONTROL although the tokenizer calls them
// non-special ("<|fim_prefix|>" in Qwen's vocabulary, "<pad>", ...), so that they are treated as
// control tokens at inference time.
bool looks_special(const std::string& t) {
  static const std::set<std::string> kNames = {"<pad>", "<mask>", "<2mass>", "[@BOS@]"};
  return kNames.count(t) > 0 || starts_ends(t, "<|", "|>") || starts_ends(t, "<\xEF\xBD\x9C", "\xEF\xBD\x9C>") ||
         starts_ends(t, "<unused", ">");
}

bool is_byte_level(const json& node) {
  if (!node.is_object()) return false;
  if (node.value("type", "") == "ByteLevel") return true;
  for (const char* list : {"decoders", "pretokenizers"}) {
    if (auto it = node.find(list); it != node.end() && it->is_array())
      for (const auto& child : *it)
        if (is_byte_level(child)) return true;
  }
  return false;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// "tokens" of tokenizer.json's merges: "a b" strings (older files) or ["a", "b"] pairs (newer);
// a space inside a pair's part is written as U+0120 so that the string splits unambiguously.
std::vector<std::string> merges_of(const json& model, const std::string& file) {
  std::vector<std::string> out;
  auto it = model.find("merges");
  if (it == model.end() || !it->is_array()) return out;
  out.reserve(it->size());
  for (const auto& m : *it) {
    if (m.is_string()) {
      out.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.push_back(replace_all(m[0].get<std::string>(), " ", "\xC4\xA0") + " " +
                    replace_all(m[1].get<std::string>(), " ", "\xC4\xA0"));
    } else {
      fail("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]", file, out.size());
    }
  }
  return out;
}

// Text of a tokenizer_config.json special token: a string or an AddedToken object.
std::optional<std::string> token_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    if (auto it = v.find("content"); it != v.end() && it->is_string()) return it->get<std::string>();
  }
  return std::nullopt;
}

void write_chat_template(GgufWriter& w, const json& value) {
  if (value.is_string()) {
    w.add_metadata("tokenizer.chat_template", GgufValue::str(value.get<std::string>()));
    return;
  }
  if (!value.is_array()) return;
  std::optional<std::string> fallback;
  std::set<std::string> names;
  for (const auto& choice : value) {
    if (!choice.is_object() || !choice.contains("template") || !choice["template"].is_string()) continue;
    std::string name = choice.value("name", "");
    for (char& ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    if (name.empty()) continue;
    if (name == "default") {
      fallback = choice["template"].get<std::string>();
    } else if (names.insert(name).second) {
      w.add_metadata("tokenizer.chat_template." + name, GgufValue::str(choice["template"].get<std::string>()));
    }
  }
  if (!names.empty()) w.add_metadata("tokenizer.chat_templates", GgufValue::string_array({names.begin(), names.end()}));
  if (fallback) w.add_metadata("tokenizer.chat_template", GgufValue::str(*fallback));
}

}  // namespace

void write_hf_tokenizer(GgufWriter& w, const std::string& folder, std::int64_t vocab_size) {
  const fs::path dir(folder);
  const fs::path tokenizer_file = dir / "tokenizer.json";
  require(fs::exists(tokenizer_file), "{}: no tokenizer.json (Hearth converts byte-level BPE tokenizers)", folder);
  const std::string tf = tokenizer_file.string();
  json tokenizer = read_json_file(tokenizer_file.string());
  json config = json::object();
  if (fs::path p = dir / "tokenizer_config.json"; fs::exists(p)) config = read_json_file(p.string());
  require(config.is_object(), "{}: tokenizer_config.json is not an object", folder);
  json model_config = json::object();
  if (fs::path p = dir / "config.json"; fs::exists(p)) model_config = read_json_file(p.string());

  require(tokenizer.is_object() && tokenizer.contains("model") && tokenizer["model"].is_object(),
          "{}: no \"model\" object", tf);
  const json& model = tokenizer["model"];
  require(model.value("type", "") == "BPE", "{}: tokenizer model '{}' is not supported (byte-level BPE only)", tf,
          model.value("type", ""));
  require(is_byte_level(tokenizer.value("decoder", json())) || is_byte_level(tokenizer.value("pre_tokenizer", json())),
          "{}: only byte-level BPE tokenizers (GPT-2 / Qwen style) are supported", tf);
  require(model.contains("vocab") && model["vocab"].is_object(), "{}: model.vocab is not an object", tf);
  require(vocab_size > 0 && vocab_size <= (std::int64_t{1} << 31), "vocabulary size {} is out of range", vocab_size);

  // id -> token, as transformers' get_vocab() sees it: the BPE vocabulary, then added tokens.
  std::vector<std::string> tokens(static_cast<std::size_t>(vocab_size));
  std::vector<std::int32_t> types(static_cast<std::size_t>(vocab_size), 0);
  auto check_id = [&](const json& id, const std::string& what) {
    require(id.is_number_integer() && id.get<std::int64_t>() >= 0 && id.get<std::int64_t>() < vocab_size,
            "{}: {} has id {}, outside the model's {} embedding rows", tf, what, id.dump(), vocab_size);
    return static_cast<std::size_t>(id.get<std::int64_t>());
  };
  for (const auto& [text, id] : model["vocab"].items()) {
    std::size_t i = check_id(id, "token '" + text + "'");
    tokens[i] = text;
    types[i] = static_cast<std::int32_t>(GgufTokenType::Normal);
  }
  const json added = tokenizer.value("added_tokens", json::array());
  require(added.is_array(), "{}: added_tokens is not an array", tf);
  for (const auto& t : added) {
    require(t.is_object() && t.contains("content") && t["content"].is_string() && t.contains("id"),
            "{}: malformed added token {}", tf, t.dump());
    std::string text = t["content"].get<std::string>();
    std::size_t i = check_id(t["id"], "added token '" + text + "'");
    if (t.value("special", false) || looks_special(text)) {
      types[i] = static_cast<std::int32_t>(GgufTokenType::Control);
    } else {
      text = replace_all(text, "\xE2\x96\x81", " ");  // llama.cpp wants user-defined tokens pre-normalised
      types[i] = static_cast<std::int32_t>(GgufTokenType::UserDefined);
    }
    tokens[i] = std::move(text);
  }
  // Embedding rows no token uses (the vocabulary is padded to a round size).
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] != 0) continue;
    tokens[i] = "[PAD" + std::to_string(i) + "]";
    types[i] = static_cast<std::int32_t>(GgufTokenType::Unused);
  }
  std::vector<std::string> merges = merges_of(model, tf);

  w.add_metadata("tokenizer.ggml.model", GgufValue::str("gpt2"));
  w.add_metadata("tokenizer.ggml.pre", GgufValue::str("qwen2"));
  w.add_metadata("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  w.add_metadata("tokenizer.ggml.token_type", GgufValue::int32_array(types));
  if (!merges.empty()) w.add_metadata("tokenizer.ggml.merges", GgufValue::string_array(merges));
  tokens.clear();
  merges.clear();

  // Special ids: the *_token strings of tokenizer_config.json (looked up among the added tokens),
  // else config.json's *_token_id. Types without a llama.cpp key (cls) are not written.
  static const std::pair<const char*, const char*> kSpecials[] = {
      {"bos", "tokenizer.ggml.bos_token_id"},     {"eos", "tokenizer.ggml.eos_token_id"},
      {"unk", "tokenizer.ggml.unknown_token_id"}, {"sep", "tokenizer.ggml.seperator_token_id"},
      {"pad", "tokenizer.ggml.padding_token_id"}, {"mask", "tokenizer.ggml.mask_token_id"},
  };
  for (const auto& [type, key] : kSpecials) {
    std::optional<std::int64_t> id;
    if (auto it = config.find(std::string(type) + "_token"); it != config.end()) {
      if (auto text = token_text(*it)) {
        for (const auto& t : added)
          if (t["content"] == *text) {
            id = t["id"].get<std::int64_t>();
            break;
          }
      }
    }
    if (!id) {
      auto it = model_config.find(std::string(type) + "_token_id");
      if (it != model_config.end() && it->is_number_integer()) id = it->get<std::int64_t>();
    }
    if (!id) continue;
    if (*id < 0 || *id >= vocab_size) {
      spdlog::warn("{}: {} token id {} is outside the vocabulary; not written", folder, type, *id);
      continue;
    }
    w.add_metadata(key, GgufValue::u32(static_cast<std::uint32_t>(*id)));
  }
  // Qwen never prepends BOS; write it explicitly so llama.cpp does not guess.
  auto flag = [&](const char* name) -> std::optional<bool> {
    auto it = config.find(name);
    if (it == config.end() || !it->is_boolean()) return std::nullopt;
    return it->get<bool>();
  };
  w.add_metadata("tokenizer.ggml.add_bos_token", GgufValue::boolean(flag("add_bos_token").value_or(false)));
  if (auto v = flag("add_eos_token")) w.add_metadata("tokenizer.ggml.add_eos_token", GgufValue::boolean(*v));
  if (auto v = flag("add_sep_token")) w.add_metadata("tokenizer.ggml.add_sep_token", GgufValue::boolean(*v));

  if (auto it = config.find("chat_template"); it != config.end() && !it->is_null()) {
    write_chat_template(w, *it);
  } else if (fs::path p = dir / "chat_template.jinja"; fs::exists(p)) {
    w.add_metadata("tokenizer.chat_template", GgufValue::str(read_file(p.string())));
  } else if (fs::path p = dir / "chat_template.json"; fs::exists(p)) {
    json j = read_json_file(p.string());
    if (j.is_object() && j.contains("chat_template")) write_chat_template(w, j["chat_template"]);
  }
}

}  // namespace hearth
