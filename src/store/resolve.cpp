#include "store/resolve.h"

#include <unistd.h>

#include <filesystem>

#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/model_info.h"
#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

std::string read_blob_text(const ModelStore& store, const Descriptor& d, std::uint64_t max_size) {
  require(d.size <= max_size, "layer {} is too large ({}) for a text layer", short_digest(d.digest),
          human_bytes(d.size));
  return read_small_file(store.blob_path(d.digest));
}

// True when every symlink of a materialised folder still points at an existing blob.
bool folder_intact(const fs::path& dir, const Manifest& m) {
  std::error_code ec;
  for (const auto& l : m.layers) {
    std::string p = layer_file_path(l);
    if (p.empty()) continue;
    if (!fs::exists(dir / p, ec)) return false;  // follows the link
  }
  return true;
}

}  // namespace

std::string materialise_folder(const ModelStore& store, const StoredModel& model) {
  fs::path dir = store.folders_dir() / digest_hex(model.digest);
  if (fs::is_directory(dir) && folder_intact(dir, model.manifest)) return dir.string();
  StoreLock lock = store.lock(StoreLock::Mode::Shared);  // gc must not delete blobs meanwhile
  for (const auto& b : model.manifest.blobs())
    require(store.has_blob(b), "model '{}' is incomplete: blob {} is missing (pull it again)", model.ref.display(),
            short_digest(b.digest));
  make_dirs(store.folders_dir());
  fs::path tmp = temp_path_for(dir);
  fs::create_directory(tmp);
  try {
    for (const auto& l : model.manifest.layers) {
      std::string rel = layer_file_path(l);
      if (rel.empty()) continue;
      fs::path link = tmp / rel;
      fs::create_directories(link.parent_path());
      fs::path target = store.blob_path(l.digest).lexically_relative(dir / fs::path(rel).parent_path());
      fs::create_symlink(target, link);
    }
    std::error_code ec;
    if (fs::exists(dir, ec)) fs::remove_all(dir, ec);  // stale (a blob was re-pulled elsewhere)
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      fs::remove_all(tmp, ec);  // another process finished first
      require(fs::is_directory(dir), "cannot create {}", dir.string());
    }
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fail("cannot materialise model '{}': {}", model.ref.display(), e.what());
  }
  return dir.string();
}

ResolvedModel resolve_model(const std::string& model, const ModelStore& store) {
  ResolvedModel r;
  std::error_code ec;
  require(!model.empty(), "no model given");
  if (fs::exists(model, ec)) {
    r.path = model;
    return r;
  }
  ModelReference ref;
  try {
    ref = parse_reference(model);
  } catch (const Error&) {
    fail("'{}' is neither a file nor a valid model name", model);
  }
  auto stored = store.find(ref);
  if (!stored)
    fail("'{}' is neither a file nor a model in the store {} (see `hearth list`, or `hearth pull {}`)", model,
         store.root().string(), model);
  r.ref = stored->ref;
  r.manifest_digest = stored->digest;
  const Manifest& m = stored->manifest;
  const Descriptor* gguf = nullptr;
  bool has_files = false;
  for (const auto& l : m.layers) {
    switch (classify_layer(l)) {
      case LayerRole::Gguf:
        if (!gguf) gguf = &l;
        break;
      case LayerRole::WeightFile:
        // A ModelPack ".raw" weight layer may hold a GGUF file under a name without ".gguf".
        if (layer_file_path(l).empty() && store.has_blob(l) && is_gguf_file(store.blob_path(l.digest))) {
          if (!gguf) gguf = &l;
        } else {
          has_files = true;
        }
        break;
      case LayerRole::ChatTemplate:
        r.chat_template = read_blob_text(store, l, 1 << 20);
        break;
      case LayerRole::System:
        r.system_prompt = read_blob_text(store, l, 1 << 20);
        break;
      case LayerRole::Params: {
        auto j = nlohmann::json::parse(read_blob_text(store, l, 1 << 20), nullptr, false);
        require(!j.is_discarded() && j.is_object(), "model '{}': params layer is not a JSON object", model);
        r.params = j;
        break;
      }
      case LayerRole::License:
        if (!r.license.empty()) r.license += "\n\n";
        r.license += read_blob_text(store, l, 16 << 20);
        break;
      case LayerRole::Archive:
        fail("model '{}' stores files in a tar archive layer ({}), which Hearth does not unpack yet", model,
             l.media_type);
      default:
        break;
    }
  }
  if (has_files) {
    r.path = materialise_folder(store, *stored);
  } else if (gguf) {
    require(store.has_blob(*gguf), "model '{}' is incomplete: blob {} is missing (pull it again)", model,
            short_digest(gguf->digest));
    r.path = store.blob_path(gguf->digest).string();
  } else {
    fail("model '{}' has no weights layer Hearth can load", model);
  }
  return r;
}

ResolvedModel resolve_model(const std::string& model) {
  std::error_code ec;
  if (fs::exists(model, ec)) {
    ResolvedModel r;
    r.path = model;
    return r;
  }
  return resolve_model(model, ModelStore(ModelStore::default_root()));
}

std::string resolve_model_path(const std::string& model) { return resolve_model(model).path; }

}  // namespace hearth::store
