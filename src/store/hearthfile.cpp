#include "store/hearthfile.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include "util/error.h"

namespace hearth::store {
namespace {

enum class ParamType { Float, Int, String };

const std::map<std::string, ParamType, std::less<>>& parameter_types() {
  static const std::map<std::string, ParamType, std::less<>> types = {
      {"temperature", ParamType::Float},
      {"top_p", ParamType::Float},
      {"min_p", ParamType::Float},
      {"top_k", ParamType::Int},
      {"repeat_penalty", ParamType::Float},
      {"repeat_last_n", ParamType::Int},
      {"presence_penalty", ParamType::Float},
      {"frequency_penalty", ParamType::Float},
      {"seed", ParamType::Int},
      {"num_ctx", ParamType::Int},
      {"num_predict", ParamType::Int},
      {"stop", ParamType::String},
  };
  return types;
}

class Parser {
 public:
  Parser(std::string_view text) : s_(text) {}

  Hearthfile parse(const std::filesystem::path& base_dir) {
    Hearthfile hf;
    while (skip_blank_lines()) {
      int line = line_;
      std::string word = read_word();
      std::string upper = word;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      skip_spaces();
      if (upper == "FROM") {
        require(hf.from.empty(), "Hearthfile line {}: FROM given twice", line);
        hf.from = read_value(line);
        require(!hf.from.empty(), "Hearthfile line {}: FROM needs a GGUF file, a model folder or a model name", line);
      } else if (upper == "TEMPLATE") {
        hf.chat_template = read_value(line);
      } else if (upper == "SYSTEM") {
        hf.system = read_value(line);
      } else if (upper == "LICENSE") {
        hf.licenses.push_back(read_value(line));
      } else if (upper == "PARAMETER") {
        std::string name = read_word();
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        skip_spaces();
        std::string value = read_value(line);
        add_parameter(hf, name, value, line);
      } else if (upper == "ADAPTER" || upper == "MESSAGE") {
        fail("Hearthfile line {}: {} is not supported by Hearth", line, upper);
      } else {
        fail("Hearthfile line {}: unknown instruction '{}' (FROM, TEMPLATE, SYSTEM, PARAMETER, LICENSE)", line,
             word.substr(0, 40));
      }
      expect_end_of_line(line);
    }
    require(!hf.from.empty(), "Hearthfile has no FROM line");
    std::filesystem::path p(hf.from);
    if (p.is_relative()) p = (base_dir / p).lexically_normal();
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) hf.from_path = p;
    return hf;
  }

 private:
  // Skips empty lines and comments; false at the end of the text.
  bool skip_blank_lines() {
    for (;;) {
      skip_spaces();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '\n') {
        ++i_;
        ++line_;
      } else if (s_[i_] == '\r') {
        ++i_;
      } else if (s_[i_] == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        return true;
      }
    }
  }
  void skip_spaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  std::string read_word() {
    std::size_t start = i_;
    while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::string read_value(int line) {
    if (s_.substr(i_, 3) == "\"\"\"") {
      i_ += 3;
      auto end = s_.find("\"\"\"", i_);
      require(end != std::string_view::npos, "Hearthfile line {}: unterminated \"\"\" block", line);
      std::string v(s_.substr(i_, end - i_));
      for (char c : v) line_ += c == '\n';
      i_ = end + 3;
      return v;
    }
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      std::string v;
      while (i_ < s_.size() && s_[i_] != '"') {
        require(s_[i_] != '\n', "Hearthfile line {}: unterminated string", line);
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
          char e = s_[++i_];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          v += s_[i_];
        }
        ++i_;
      }
      require(i_ < s_.size(), "Hearthfile line {}: unterminated string", line);
      ++i_;
      return v;
    }
    std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    std::string v(s_.substr(start, i_ - start));
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    return v;
  }
  void expect_end_of_line(int line) {
    skip_spaces();
    if (i_ < s_.size() && s_[i_] == '\r') ++i_;
    require(i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '#', "Hearthfile line {}: unexpected text after the value",
            line);
  }

  static void add_parameter(Hearthfile& hf, const std::string& name, const std::string& value, int line) {
    auto it = parameter_types().find(name);
    require(it != parameter_types().end(), "Hearthfile line {}: unknown parameter '{}'", line, name.substr(0, 40));
    require(!value.empty(), "Hearthfile line {}: PARAMETER {} needs a value", line, name);
    switch (it->second) {
      case ParamType::String:
        if (!hf.parameters.contains(name)) hf.parameters[name] = nlohmann::json::array();
        hf.parameters[name].push_back(value);
        break;
      case ParamType::Int: {
        long long v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        require(ec == std::errc() && p == value.data() + value.size(),
                "Hearthfile line {}: {} must be an integer, not '{}'", line, name, value.substr(0, 40));
        hf.parameters[name] = v;
        break;
      }
      case ParamType::Float: {
        double v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        require(ec == std::errc() && p == value.data() + value.size() && std::isfinite(v),
                "Hearthfile line {}: {} must be a number, not '{}'", line, name, value.substr(0, 40));
        hf.parameters[name] = v;
        break;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

bool is_known_parameter(std::string_view name) { return parameter_types().count(name) > 0; }

Hearthfile parse_hearthfile(std::string_view text, const std::filesystem::path& base_dir) {
  return Parser(text).parse(base_dir);
}

}  // namespace hearth::store
