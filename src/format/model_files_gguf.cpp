// open_gguf_model_files: config, generation defaults, chat template, special-token strings and
// weights from one GGUF file.
#include "format/gguf_model_config.h"
#include "format/model_files.h"
#include "format/model_tensors.h"
#include "util/error.h"

namespace hearth {

void open_gguf_model_files(ModelFiles& m, bool load_weights) {
  m.kind = ModelFiles::Kind::Gguf;
  auto file = std::make_shared<const GgufFile>(m.path);
  m.gguf = file;
  m.config = model_config_from_gguf(*file);
  m.generation = generation_config_from_gguf(*file);
  m.chat_template = file->get_string_or("tokenizer.chat_template", "");

  if (file->has("tokenizer.ggml.tokens")) {
    const GgufArray& tokens = file->get_array("tokenizer.ggml.tokens");
    require(tokens.element_type == GgufType::STRING, "tokenizer.ggml.tokens: expected an array of strings");
    // Ids past the embedding would index rows that do not exist.
    require(static_cast<std::int64_t>(tokens.items.size()) <= m.config.vocab_size,
            "tokenizer.ggml.tokens has {} tokens but token_embd.weight only {} rows", tokens.items.size(),
            m.config.vocab_size);
    if (const GgufValue* types = file->find("tokenizer.ggml.token_type")) {
      require(types->as_array("tokenizer.ggml.token_type").items.size() == tokens.items.size(),
              "tokenizer.ggml.token_type has {} entries for {} tokens",
              types->as_array("tokenizer.ggml.token_type").items.size(), tokens.items.size());
    }
    // Templates see the special tokens as text (bos_token, eos_token, ...), as transformers passes them.
    const std::pair<const char*, const char*> specials[] = {
        {"bos_token", "tokenizer.ggml.bos_token_id"},
        {"eos_token", "tokenizer.ggml.eos_token_id"},
        {"pad_token", "tokenizer.ggml.padding_token_id"},
        {"unk_token", "tokenizer.ggml.unknown_token_id"},
    };
    for (const auto& [name, key] : specials) {
      const GgufValue* id = file->find(key);
      if (id == nullptr) continue;
      std::int64_t i = id->as_int(key);
      require(i >= 0 && i < static_cast<std::int64_t>(tokens.items.size()), "{}: token id {} is outside the {} tokens",
              key, i, tokens.items.size());
      m.special_token_strings[name] = tokens.items[static_cast<std::size_t>(i)].as_string("tokenizer.ggml.tokens");
    }
  }

  if (load_weights) {
    m.weights = gguf_weight_store(file);
    check_weights(*m.weights, m.config);
  }
}

}  // namespace hearth
