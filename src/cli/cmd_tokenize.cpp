// hearth tokenize MODEL (--text T | --file F) [--no-special]   -> {"ids":[...]}
// hearth detokenize MODEL --ids 1,2,3 [--skip-special]          -> {"text":"..."}
// MODEL is a Hugging Face folder or a GGUF file; only the tokenizer is read, never the weights.
#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "format/model_files.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::optional<std::string> text;
  std::optional<std::string> file;
  bool no_special = false;
};

struct DetokenizeArgs {
  std::string model;
  std::string ids;
  bool skip_special = false;
};

std::unique_ptr<Tokenizer> open_tokenizer(const std::string& model) {
  return load_tokenizer(open_model_files(model, /*load_weights=*/false));
}

void print_json(const nlohmann::json& j) {
  const std::string s = j.dump();
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
}

std::string input_text(const TokenizeArgs& args) {
  require(args.text.has_value() != args.file.has_value(), "give the text with either --text or --file");
  if (args.text) return *args.text;
  if (*args.file == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  return read_file(*args.file);
}

void run_tokenize(const TokenizeArgs& args) {
  const std::string text = input_text(args);
  const auto tokenizer = open_tokenizer(args.model);
  print_json({{"ids", tokenizer->encode(text, /*parse_special=*/!args.no_special)}});
}

// "1,2,3", "1 2 3" or "[1, 2, 3]".
std::vector<std::int64_t> parse_token_list(const std::string& list) {
  std::vector<std::int64_t> ids;
  std::string item;
  auto finish_item = [&] {
    if (item.empty()) return;
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    require(ec == std::errc() && end == item.data() + item.size(), "--ids: '{}' is not a token id", item);
    ids.push_back(id);
    item.clear();
  };
  std::size_t begin = 0, end = list.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(list[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(list[end - 1]))) --end;
  if (end - begin >= 2 && list[begin] == '[' && list[end - 1] == ']') ++begin, --end;
  for (std::size_t i = begin; i < end; ++i) {
    const char c = list[i];
    if (c == ',' || std::isspace(static_cast<unsigned char>(c)))
      finish_item();
    else
      item += c;
  }
  finish_item();
  return ids;
}

void run_detokenize(const DetokenizeArgs& args) {
  const std::vector<std::int64_t> wide = parse_token_list(args.ids);
  const auto tokenizer = open_tokenizer(args.model);
  std::vector<TokenId> ids;
  ids.reserve(wide.size());
  for (std::int64_t id : wide) {
    tokenizer->require_valid_id(id);
    ids.push_back(static_cast<TokenId>(id));
  }
  print_json({{"text", tokenizer->decode(ids, args.skip_special)}});
}

}  // namespace

void add_tokenize_commands(CLI::App& app) {
  auto targs = std::make_shared<TokenizeArgs>();
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print the token ids of a text as JSON: {\"ids\":[...]}");
  tokenize->add_option("MODEL", targs->model, "Model: a Hugging Face folder or a GGUF file")->required();
  tokenize->add_option("--text", targs->text, "The text to tokenize");
  tokenize->add_option("--file", targs->file, "Read the text from this file ('-' for standard input)");
  tokenize->add_flag("--no-special", targs->no_special,
                     "Treat special-token text such as <|im_start|> as plain text (as llama.cpp's tokenizer tests)");
  tokenize->callback([targs] { run_tokenize(*targs); });

  auto dargs = std::make_shared<DetokenizeArgs>();
  CLI::App* detokenize = app.add_subcommand("detokenize", "Print the text of token ids as JSON: {\"text\":\"...\"}");
  detokenize->add_option("MODEL", dargs->model, "Model: a Hugging Face folder or a GGUF file")->required();
  detokenize->add_option("--ids", dargs->ids, "Token ids: 1,2,3")->required();
  detokenize->add_flag("--skip-special", dargs->skip_special, "Leave out special tokens (<|im_end|>, ...)");
  detokenize->callback([dargs] { run_detokenize(*dargs); });
}

}  // namespace hearth::cli
