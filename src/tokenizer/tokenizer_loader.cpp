// load_tokenizer(ModelFiles): picks the tokenizer source of a model and adds what only the model
// knows (its embedding rows, generation_config.json's stop ids).
#include "tokenizer/tokenizer_loader.h"

#include <limits>

#include "util/error.h"

namespace hearth {

std::unique_ptr<Tokenizer> load_tokenizer(const ModelFiles& files) {
  TokenizerSpec spec;
  std::string source;
  if (files.kind == ModelFiles::Kind::Gguf) {
    require(files.gguf != nullptr, "{}: GGUF file not open", files.path);
    spec = read_tokenizer_gguf(*files.gguf);
    source = files.path;
  } else {
    require(!files.tokenizer_json_path.empty(), "{}: no tokenizer.json in the model folder", files.path);
    spec = read_tokenizer_json(files.tokenizer_json_path, files.tokenizer_config_path);
    source = files.tokenizer_json_path;
  }
  spec.id_limit = files.config.vocab_size;
  for (std::int64_t id : files.generation.eos_token_ids)
    if (id >= 0 && id <= std::numeric_limits<TokenId>::max()) spec.extra_eog_ids.push_back(static_cast<TokenId>(id));
  try {
    return std::make_unique<Tokenizer>(std::move(spec));
  } catch (...) {
    rethrow_with_context(source);
  }
}

}  // namespace hearth
