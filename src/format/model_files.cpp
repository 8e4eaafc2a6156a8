#include "format/model_files.h"

#include <filesystem>
#include <string_view>

#include "format/gguf_model_config.h"
#include "format/json_file.h"
#include "format/model_tensors.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;

// tokenizer_config.json stores special tokens either as strings or as AddedToken objects.
std::string token_string(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return {};
}

void open_hf_folder(ModelFiles& m, bool load_weights) {
  fs::path dir(m.path);
  fs::path config = dir / "config.json";
  require(fs::exists(config), "{}: no config.json (expected a Hugging Face model folder)", m.path);
  m.kind = ModelFiles::Kind::HfFolder;
  m.config = model_config_from_hf(read_json_file(config.string()));
  if (fs::path gen = dir / "generation_config.json"; fs::exists(gen))
    m.generation = generation_config_from_hf(read_json_file(gen.string()));
  if (fs::path tok = dir / "tokenizer.json"; fs::exists(tok)) m.tokenizer_json_path = tok.string();
  if (fs::path tc = dir / "tokenizer_config.json"; fs::exists(tc)) {
    m.tokenizer_config_path = tc.string();
    nlohmann::json j = read_json_file(tc.string());
    if (auto it = j.find("chat_template"); it != j.end()) {
      if (it->is_string()) {
        m.chat_template = it->get<std::string>();
      } else if (it->is_array()) {  // named templates: use "default"
        for (const auto& t : *it)
          if (t.value("name", "") == "default" && t.contains("template"))
            m.chat_template = t["template"].get<std::string>();
      }
    }
    for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token"}) {
      if (auto it = j.find(key); it != j.end()) {
        std::string s = token_string(*it);
        m.special_token_strings[key] = it->is_null() ? nlohmann::json() : nlohmann::json(s);
      }
    }
  }
  // Newer exports keep the template in its own file.
  if (m.chat_template.empty()) {
    if (fs::path jt = dir / "chat_template.jinja"; fs::exists(jt)) m.chat_template = read_file(jt.string());
  }
  if (load_weights) {
    m.weights = load_hf_weights(m.path, m.config.arch);
    check_weights(*m.weights, m.config);
  }
}

}  // namespace

// The GGUF branch lives in model_files_gguf.cpp (format work).
void open_gguf_model_files(ModelFiles& m, bool load_weights);

ModelFiles open_model_files(const std::string& path, bool load_weights) {
  ModelFiles m;
  m.path = path;
  try {
    require(fs::exists(path), "no such file or folder");
    if (fs::is_directory(path))
      open_hf_folder(m, load_weights);
    else
      open_gguf_model_files(m, load_weights);
  } catch (const Error& e) {
    // Readers of single files already name the file; don't say it twice.
    if (std::string_view(e.what()).starts_with(path + ": ")) throw;
    rethrow_with_context(path);
  } catch (...) {
    rethrow_with_context(path);
  }
  return m;
}

}  // namespace hearth
