#include "store/create.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/media_types.h"
#include "store/resolve.h"
#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string lower_ext(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

// ModelPack media type for a file of a Hugging Face folder.
std::string folder_file_media_type(const fs::path& rel) {
  std::string ext = lower_ext(rel);
  std::string stem = rel.filename().string();
  std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char c) { return std::toupper(c); });
  if (ext == ".safetensors" || ext == ".gguf" || ext == ".bin" || ext == ".pt" || ext == ".pth")
    return std::string(media::kModelPackWeightRaw);
  if (stem.rfind("LICENSE", 0) == 0 || stem.rfind("LICENCE", 0) == 0 || stem.rfind("README", 0) == 0 || ext == ".md")
    return std::string(media::kModelPackDocRaw);
  if (ext == ".py") return std::string(media::kModelPackCodeRaw);
  return std::string(media::kModelPackWeightConfigRaw);  // config.json, tokenizer.json, *.jinja, …
}

Descriptor text_layer(ModelStore& store, std::string_view media_type, std::string_view text) {
  Descriptor d;
  d.media_type = std::string(media_type);
  auto [digest, size] = store.add_blob_bytes(text);
  d.digest = digest;
  d.size = size;
  return d;
}

// Regular files of a folder, sorted, hidden files and folders left out.
std::vector<fs::path> folder_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(it->path().lexically_relative(dir));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

CreateResult create_model(ModelStore& store, const std::string& name, const Hearthfile& hf,
                          const std::function<void(const std::string&)>& status) {
  auto say = [&](const std::string& s) {
    if (status) status(s);
  };
  CreateResult result;
  result.ref = parse_reference(name);
  require(result.ref.digest.empty(), "a new model's name cannot contain a digest");

  // Held until the manifest is written: gc must not take the new, still unreferenced blobs.
  StoreLock lock = store.lock(StoreLock::Mode::Shared);
  std::vector<Descriptor> layers;
  nlohmann::json params = hf.parameters;
  std::error_code ec;
  // Validate the source before copying anything (inspect_model reads its metadata).
  if (!hf.from_path.empty() && fs::is_directory(hf.from_path, ec)) {
    say("reading " + hf.from_path.string());
    result.info = inspect_model(hf.from_path);
    for (const auto& rel : folder_files(hf.from_path)) {
      say("copying " + rel.string());
      auto [digest, size] = store.import_file(hf.from_path / rel);
      Descriptor d;
      d.media_type = folder_file_media_type(rel);
      d.digest = digest;
      d.size = size;
      d.annotations[std::string(media::kFilePathAnnotation)] = rel.generic_string();
      layers.push_back(std::move(d));
    }
  } else if (!hf.from_path.empty()) {
    require(is_gguf_file(hf.from_path), "FROM {}: not a GGUF file or a model folder", hf.from);
    say("reading " + hf.from_path.string());
    result.info = inspect_model(hf.from_path);
    say("copying " + hf.from_path.filename().string());
    auto [digest, size] = store.import_file(hf.from_path);
    Descriptor d;
    d.media_type = std::string(media::kOllamaModel);
    d.digest = digest;
    d.size = size;
    layers.push_back(std::move(d));
  } else {
    ModelReference base_ref;
    try {
      base_ref = parse_reference(hf.from);
    } catch (const Error&) {
      fail("FROM '{}': no such file, folder or model", hf.from);
    }
    auto base = store.find(base_ref);
    require(base.has_value(), "FROM '{}': no such file, folder or model in the store", hf.from);
    ResolvedModel resolved = resolve_model(base_ref.full(), store);
    result.info = inspect_model(resolved.path);
    for (const auto& l : base->manifest.layers) {
      LayerRole role = classify_layer(l);
      if (role == LayerRole::ChatTemplate && hf.chat_template) continue;
      if (role == LayerRole::System && hf.system) continue;
      if (role == LayerRole::Params && !hf.parameters.empty()) continue;  // merged below
      layers.push_back(l);
    }
    // PARAMETER lines override the base model's values one by one.
    if (!hf.parameters.empty()) {
      if (const Descriptor* p = base->manifest.find_layer(LayerRole::Params)) {
        auto base_params = nlohmann::json::parse(read_small_file(store.blob_path(p->digest)), nullptr, false);
        if (base_params.is_object()) {
          for (const auto& [k, v] : hf.parameters.items()) base_params[k] = v;
          params = base_params;
        }
      }
    }
  }

  if (hf.chat_template) layers.push_back(text_layer(store, media::kDockerChatTemplate, *hf.chat_template));
  if (hf.system) layers.push_back(text_layer(store, media::kOllamaSystem, *hf.system));
  if (!params.empty()) layers.push_back(text_layer(store, media::kOllamaParams, params.dump()));
  for (const auto& text : hf.licenses) layers.push_back(text_layer(store, media::kOllamaLicense, text));

  // ModelPack config: what the model is, and the digests of its layers.
  const ModelInfo& info = result.info;
  bool quantized = info.quantization.rfind("q", 0) == 0 || info.quantization.rfind("iq", 0) == 0;
  nlohmann::ordered_json config = {
      {"descriptor", {{"createdAt", now_rfc3339()}, {"name", result.ref.display()}, {"family", info.architecture}}},
      {"config",
       {{"architecture", "transformer"},
        {"format", info.format},
        {"paramSize", human_count(info.parameters)},
        {"precision", quantized ? "" : info.quantization},
        {"quantization", quantized ? info.quantization : ""}}},
      {"modelfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}},
  };
  for (const auto& l : layers) config["modelfs"]["diff_ids"].push_back(l.digest);
  Manifest m;
  m.media_type = std::string(media::kOciManifest);
  m.artifact_type = std::string(media::kModelPackArtifact);
  m.config = text_layer(store, media::kModelPackConfig, config.dump());
  m.layers = std::move(layers);
  m.annotations = model_annotations(info);
  m.annotations[std::string(annotation::kCreated)] = now_rfc3339();
  m.annotations[std::string(annotation::kTitle)] = result.ref.display();
  std::string bytes = serialize_manifest(m);
  say("writing manifest");
  store.write_manifest(result.ref, bytes);
  result.manifest_digest = digest_of(bytes);
  result.size = m.total_size();
  return result;
}

}  // namespace hearth::store
