#include "tokenizer_test_data.h"

#include <fstream>
#include <sstream>

#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::test {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string qwen_model_dir() { return (shared_dir() / "models" / "qwen3-tiny").string(); }

const Tokenizer& qwen_tokenizer() {
  static const std::unique_ptr<Tokenizer> tokenizer =
      load_tokenizer_json(qwen_model_dir() + "/tokenizer.json", qwen_model_dir() + "/tokenizer_config.json");
  return *tokenizer;
}

const nlohmann::json& tokenizer_reference() {
  static const nlohmann::json reference = nlohmann::json::parse(slurp(shared_dir() / "reference" / "tokenizer.json"));
  return reference;
}

std::vector<GgmlVocabCase> ggml_vocab_qwen2_cases() {
  const auto dir = shared_dir() / "data" / "tokenizer-tests";
  const std::string inp = slurp(dir / "ggml-vocab-qwen2.gguf.inp");
  const std::string out = slurp(dir / "ggml-vocab-qwen2.gguf.out");
  const std::string separator = "\n__ggml_vocab_test__\n";

  std::vector<GgmlVocabCase> cases;
  std::size_t pos = 0;
  for (std::size_t next; (next = inp.find(separator, pos)) != std::string::npos; pos = next + separator.size())
    cases.push_back({inp.substr(pos, next - pos), {}});
  if (pos != inp.size()) throw std::runtime_error("ggml-vocab-qwen2.gguf.inp does not end with a separator");

  std::istringstream lines(out);
  std::string line;
  std::size_t i = 0;
  while (std::getline(lines, line)) {
    if (i >= cases.size()) throw std::runtime_error("ggml-vocab-qwen2.gguf.out has more lines than cases");
    std::istringstream ids(line);
    for (std::int64_t id; ids >> id;) cases[i].ids.push_back(static_cast<TokenId>(id));
    ++i;
  }
  if (i != cases.size()) throw std::runtime_error("ggml-vocab-qwen2.gguf.out has fewer lines than cases");
  return cases;
}

std::vector<TokenId> ids_of(const nlohmann::json& array) {
  std::vector<TokenId> ids;
  for (const auto& v : array) ids.push_back(v.get<TokenId>());
  return ids;
}

}  // namespace hearth::test
