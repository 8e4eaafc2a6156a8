#pragma once
// OCI / Docker manifests of model artifacts: parsing (with validation of every digest, size and file
// path, since manifests come from the network), the role of each layer, and serialisation of the
// manifests Hearth writes.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::store {

using Annotations = std::map<std::string, std::string>;

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:…" (validated)
  std::uint64_t size = 0;
  Annotations annotations;
  std::string artifact_type;                                 // index entries may carry one
  std::string platform_os, platform_arch, platform_variant;  // index entries (images), informational
};

// What a layer is for the engine.
enum class LayerRole {
  Gguf,            // a whole GGUF model file
  WeightFile,      // a file of a Hugging Face folder (safetensors, config.json, tokenizer.json, …)
  ChatTemplate,    // a Jinja chat template replacing the model's own
  OllamaTemplate,  // Ollama's Go-syntax template (kept, not used for rendering)
  System,          // default system prompt (text)
  Params,          // default sampling parameters (JSON object)
  License,         // license text
  Doc,             // README and other documents
  Archive,         // a tar archive of files (not supported yet)
  Other,           // anything else (kept, ignored by the engine)
};
std::string_view layer_role_name(LayerRole role);

// Classifies a layer by media type, then by its filepath annotation. GGUF layers stored with a
// generic type (ModelPack ".raw" without a ".gguf" path) are classified WeightFile; callers that
// can read the blob may refine with is_gguf_file().
LayerRole classify_layer(const Descriptor& layer);
// The layer's org.cncf.model.filepath annotation, validated (empty when absent).
std::string layer_file_path(const Descriptor& layer);

struct Manifest {
  std::string media_type;  // kOciManifest or kDockerManifest (validated)
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  Annotations annotations;

  // Every blob the manifest references: config first, then layers, without duplicates.
  std::vector<Descriptor> blobs() const;
  // Sum of the layers' and config's sizes (shared blobs counted once).
  std::uint64_t total_size() const;
  // The first layer with the role, or nullptr.
  const Descriptor* find_layer(LayerRole role) const;
};

// An OCI index or Docker manifest list (a manifest per variant or platform).
struct ManifestIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
  Annotations annotations;
};

enum class ManifestKind { Image, Index };
// Which kind a manifest document is: from `content_type` when it names one, else from the JSON
// (a "manifests" array makes an index). Throws hearth::Error for other documents.
ManifestKind manifest_kind(std::string_view bytes, std::string_view content_type = {});

// Parse and validate. Throw hearth::Error naming the problem ("manifest layer 2: invalid digest").
Manifest parse_manifest(std::string_view bytes, std::string_view content_type = {});
ManifestIndex parse_manifest_index(std::string_view bytes, std::string_view content_type = {});

// Serialises an OCI image manifest (Hearth's own, deterministic key order).
std::string serialize_manifest(const Manifest& m);

}  // namespace hearth::store
