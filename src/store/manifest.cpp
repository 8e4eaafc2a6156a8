#include "store/manifest.h"

#include <set>

#include <nlohmann/json.hpp>

#include "store/fs_util.h"
#include "store/media_types.h"
#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

using nlohmann::json;

std::string lower_ext(std::string_view path) {
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  std::string e(path.substr(dot + 1));
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

std::string base_name_upper(std::string_view path) {
  auto slash = path.rfind('/');
  std::string b(slash == std::string_view::npos ? path : path.substr(slash + 1));
  for (char& c : b) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return b;
}

json parse_json(std::string_view bytes, const char* what) {
  try {
    return json::parse(bytes);
  } catch (const json::exception& e) {
    fail("{} is not valid JSON: {}", what, e.what());
  }
}

Annotations parse_annotations(const json& j, const std::string& where) {
  Annotations out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return out;
  require(it->is_object(), "{}: annotations must be an object", where);
  for (const auto& [k, v] : it->items()) {
    require(v.is_string(), "{}: annotation '{}' must be a string", where, k);
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string get_string(const json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    require(!required, "{}: missing \"{}\"", where, key);
    return {};
  }
  require(it->is_string(), "{}: \"{}\" must be a string", where, key);
  return it->get<std::string>();
}

Descriptor parse_descriptor(const json& j, const std::string& where) {
  require(j.is_object(), "{}: expected an object", where);
  Descriptor d;
  d.media_type = get_string(j, "mediaType", where, true);
  d.digest = get_string(j, "digest", where, true);
  require(d.digest.rfind("sha256:", 0) == 0, "{}: digest '{}' uses an unsupported algorithm (only sha256)", where,
          d.digest.substr(0, 80));
  require(is_valid_digest(d.digest), "{}: invalid digest '{}'", where, d.digest.substr(0, 80));
  auto size = j.find("size");
  require(size != j.end() && size->is_number_integer(), "{}: missing or non-integer \"size\"", where);
  require(size->is_number_unsigned() || size->get<std::int64_t>() >= 0, "{}: negative size", where);
  d.size = size->get<std::uint64_t>();
  d.annotations = parse_annotations(j, where);
  d.artifact_type = get_string(j, "artifactType", where, false);
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform_os = get_string(*p, "os", where, false);
    d.platform_arch = get_string(*p, "architecture", where, false);
    d.platform_variant = get_string(*p, "variant", where, false);
  }
  // Validates the file path now, so a hostile "../../x" never reaches a file-system call.
  if (auto fp = d.annotations.find(std::string(media::kFilePathAnnotation)); fp != d.annotations.end()) {
    try {
      safe_relative_path(fp->second);
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
  }
  return d;
}

nlohmann::ordered_json descriptor_json(const Descriptor& d) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

}  // namespace

std::string_view layer_role_name(LayerRole role) {
  switch (role) {
    case LayerRole::Gguf:
      return "gguf";
    case LayerRole::WeightFile:
      return "file";
    case LayerRole::ChatTemplate:
      return "template";
    case LayerRole::OllamaTemplate:
      return "ollama-template";
    case LayerRole::System:
      return "system";
    case LayerRole::Params:
      return "params";
    case LayerRole::License:
      return "license";
    case LayerRole::Doc:
      return "doc";
    case LayerRole::Archive:
      return "archive";
    case LayerRole::Other:
      return "other";
  }
  return "other";
}

std::string layer_file_path(const Descriptor& layer) {
  auto it = layer.annotations.find(std::string(media::kFilePathAnnotation));
  if (it == layer.annotations.end()) return {};
  return safe_relative_path(it->second).string();
}

LayerRole classify_layer(const Descriptor& layer) {
  const std::string& mt = layer.media_type;
  std::string path = layer_file_path(layer);
  std::string ext = lower_ext(path);
  std::string base = base_name_upper(path);
  bool license_name = base.rfind("LICENSE", 0) == 0 || base.rfind("LICENCE", 0) == 0 || base == "COPYING";

  if (mt == media::kOllamaModel || mt == media::kDockerGguf) return LayerRole::Gguf;
  if (mt == media::kOllamaTemplate) return LayerRole::OllamaTemplate;
  if (mt == media::kDockerChatTemplate) return LayerRole::ChatTemplate;
  if (mt == media::kOllamaSystem) return LayerRole::System;
  if (mt == media::kOllamaParams) return LayerRole::Params;
  if (mt == media::kOllamaLicense || mt == media::kDockerLicense) return LayerRole::License;
  if (mt == media::kOllamaProjector || mt == media::kOllamaAdapter || mt == media::kOllamaMessages ||
      mt == media::kDockerMmproj)
    return LayerRole::Other;
  if (mt == media::kDockerSafetensors || mt == media::kDockerModelFile) return LayerRole::WeightFile;
  if (mt.rfind(media::kModelPackPrefix, 0) == 0) {
    if (mt.find(".tar") != std::string::npos) return LayerRole::Archive;
    if (mt.find(".doc.") != std::string::npos) return license_name ? LayerRole::License : LayerRole::Doc;
    if (mt.find(".weight.") != std::string::npos) {
      // Older ModelPack drafts had format-specific weight types ("….weight.v1.gguf").
      if (ext == "gguf" || mt.ends_with(".gguf")) return LayerRole::Gguf;
      return LayerRole::WeightFile;
    }
    return path.empty() ? LayerRole::Other : LayerRole::WeightFile;
  }
  if (!path.empty()) {
    if (ext == "gguf") return LayerRole::Gguf;
    if (license_name) return LayerRole::License;
    return LayerRole::WeightFile;
  }
  return LayerRole::Other;
}

std::vector<Descriptor> Manifest::blobs() const {
  std::vector<Descriptor> out;
  std::set<std::string> seen;
  if (!config.digest.empty()) {
    out.push_back(config);
    seen.insert(config.digest);
  }
  for (const auto& l : layers)
    if (seen.insert(l.digest).second) out.push_back(l);
  return out;
}

std::uint64_t Manifest::total_size() const {
  std::uint64_t total = 0;
  for (const auto& b : blobs()) total += b.size;
  return total;
}

const Descriptor* Manifest::find_layer(LayerRole role) const {
  for (const auto& l : layers)
    if (classify_layer(l) == role) return &l;
  return nullptr;
}

ManifestKind manifest_kind(std::string_view bytes, std::string_view content_type) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == media::kOciManifest || ct == media::kDockerManifest) return ManifestKind::Image;
  if (ct == media::kOciIndex || ct == media::kDockerManifestList) return ManifestKind::Index;
  json j = parse_json(bytes, "manifest");
  require(j.is_object(), "manifest is not a JSON object");
  std::string mt = j.value("mediaType", "");
  if (mt == media::kOciIndex || mt == media::kDockerManifestList) return ManifestKind::Index;
  if (mt == media::kOciManifest || mt == media::kDockerManifest) return ManifestKind::Image;
  require(!(j.contains("schemaVersion") && j["schemaVersion"] == 1),
          "registry sent a Docker schema 1 manifest, which cannot describe models");
  if (j.contains("manifests")) return ManifestKind::Index;
  if (j.contains("layers")) return ManifestKind::Image;
  fail("unsupported manifest (media type '{}')", mt.empty() ? ct : mt);
}

Manifest parse_manifest(std::string_view bytes, std::string_view content_type) {
  json j = parse_json(bytes, "manifest");
  require(j.is_object(), "manifest is not a JSON object");
  require(j.value("schemaVersion", 0) == 2, "manifest: unsupported schemaVersion (expected 2)");
  Manifest m;
  m.media_type = get_string(j, "mediaType", "manifest", false);
  if (m.media_type.empty()) {
    std::string ct(content_type.substr(0, content_type.find(';')));
    m.media_type =
        ct == media::kDockerManifest ? std::string(media::kDockerManifest) : std::string(media::kOciManifest);
  }
  require(m.media_type == media::kOciManifest || m.media_type == media::kDockerManifest,
          "manifest: unsupported media type '{}'", m.media_type.substr(0, 100));
  m.artifact_type = get_string(j, "artifactType", "manifest", false);
  auto cfg = j.find("config");
  require(cfg != j.end(), "manifest: missing \"config\"");
  m.config = parse_descriptor(*cfg, "manifest config");
  auto layers = j.find("layers");
  require(layers != j.end() && layers->is_array(), "manifest: missing \"layers\" array");
  for (std::size_t i = 0; i < layers->size(); ++i)
    m.layers.push_back(parse_descriptor((*layers)[i], "manifest layer " + std::to_string(i + 1)));
  m.annotations = parse_annotations(j, "manifest");
  // Two layers that would land on the same file are a broken (or hostile) manifest.
  std::set<std::string> paths;
  for (const auto& l : m.layers) {
    std::string p = layer_file_path(l);
    if (!p.empty()) require(paths.insert(p).second, "manifest: two layers for the file '{}'", p);
  }
  return m;
}

ManifestIndex parse_manifest_index(std::string_view bytes, std::string_view content_type) {
  json j = parse_json(bytes, "manifest index");
  require(j.is_object(), "manifest index is not a JSON object");
  ManifestIndex idx;
  idx.media_type = get_string(j, "mediaType", "manifest index", false);
  if (idx.media_type.empty()) idx.media_type = std::string(media::kOciIndex);
  auto ms = j.find("manifests");
  require(ms != j.end() && ms->is_array(), "manifest index: missing \"manifests\" array");
  for (std::size_t i = 0; i < ms->size(); ++i)
    idx.manifests.push_back(parse_descriptor((*ms)[i], "manifest index entry " + std::to_string(i + 1)));
  idx.annotations = parse_annotations(j, "manifest index");
  return idx;
}

std::string serialize_manifest(const Manifest& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = m.media_type.empty() ? std::string(media::kOciManifest) : m.media_type;
  if (!m.artifact_type.empty() && j["mediaType"] == media::kOciManifest) j["artifactType"] = m.artifact_type;
  j["config"] = descriptor_json(m.config);
  j["layers"] = nlohmann::ordered_json::array();
  for (const auto& l : m.layers) j["layers"].push_back(descriptor_json(l));
  if (!m.annotations.empty() && j["mediaType"] == media::kOciManifest) j["annotations"] = m.annotations;
  return j.dump(2) + "\n";
}

}  // namespace hearth::store
