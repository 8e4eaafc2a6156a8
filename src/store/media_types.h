#pragma once
// Media types of the manifests and layers Hearth reads and writes. Three vocabularies describe
// model artifacts in OCI registries and Hearth understands all of them:
//   - Ollama: Docker schema 2 manifests with application/vnd.ollama.image.* layers;
//   - CNCF ModelPack: OCI manifests with artifactType application/vnd.cncf.model.manifest.v1+json;
//   - Docker Model Runner: OCI manifests with application/vnd.docker.ai.* layers.
// Hearth writes OCI manifests with ModelPack types for files (weights, configuration, documents,
// each with an org.cncf.model.filepath annotation) and Docker's Jinja chat-template type / Ollama's
// system and params types for what ModelPack has no type for.
#include <string_view>

namespace hearth::store::media {

// Manifests and indexes.
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
// Accept header for manifest requests: registries hide types the client does not list.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// Config blobs.
inline constexpr std::string_view kDockerImageConfig = "application/vnd.docker.container.image.v1+json";  // Ollama
inline constexpr std::string_view kModelPackArtifact = "application/vnd.cncf.model.manifest.v1+json";
inline constexpr std::string_view kModelPackConfig = "application/vnd.cncf.model.config.v1+json";
inline constexpr std::string_view kDockerModelConfigV01 = "application/vnd.docker.ai.model.config.v0.1+json";
inline constexpr std::string_view kDockerModelConfigV02 = "application/vnd.docker.ai.model.config.v0.2+json";

// Ollama layers.
inline constexpr std::string_view kOllamaModel = "application/vnd.ollama.image.model";
inline constexpr std::string_view kOllamaTemplate = "application/vnd.ollama.image.template";  // Go template syntax
inline constexpr std::string_view kOllamaParams = "application/vnd.ollama.image.params";      // JSON object
inline constexpr std::string_view kOllamaLicense = "application/vnd.ollama.image.license";
inline constexpr std::string_view kOllamaSystem = "application/vnd.ollama.image.system";
inline constexpr std::string_view kOllamaProjector = "application/vnd.ollama.image.projector";
inline constexpr std::string_view kOllamaAdapter = "application/vnd.ollama.image.adapter";
inline constexpr std::string_view kOllamaMessages = "application/vnd.ollama.image.messages";

// ModelPack layers (".raw": the file itself; ".tar*": an archive of files).
inline constexpr std::string_view kModelPackPrefix = "application/vnd.cncf.model.";
inline constexpr std::string_view kModelPackWeightRaw = "application/vnd.cncf.model.weight.v1.raw";
inline constexpr std::string_view kModelPackWeightConfigRaw = "application/vnd.cncf.model.weight.config.v1.raw";
inline constexpr std::string_view kModelPackDocRaw = "application/vnd.cncf.model.doc.v1.raw";
inline constexpr std::string_view kModelPackCodeRaw = "application/vnd.cncf.model.code.v1.raw";

// Docker Model Runner layers.
inline constexpr std::string_view kDockerGguf = "application/vnd.docker.ai.gguf.v3";
inline constexpr std::string_view kDockerSafetensors = "application/vnd.docker.ai.safetensors";
inline constexpr std::string_view kDockerLicense = "application/vnd.docker.ai.license";
inline constexpr std::string_view kDockerChatTemplate = "application/vnd.docker.ai.chat.template.jinja";
inline constexpr std::string_view kDockerModelFile = "application/vnd.docker.ai.model.file";
inline constexpr std::string_view kDockerMmproj = "application/vnd.docker.ai.mmproj";

// Layer annotation holding the file's path inside the model folder (ModelPack and Docker).
inline constexpr std::string_view kFilePathAnnotation = "org.cncf.model.filepath";

}  // namespace hearth::store::media
