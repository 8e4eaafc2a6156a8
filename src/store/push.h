#pragma once
// hearth push: upload a local model to a registry. Blobs the registry already has are skipped
// (HEAD); the others are uploaded in chunks (the registry checks each blob's digest when the upload
// is committed); the manifest goes last, so the tag appears only once everything it needs is there.
//
// Before uploading, Hearth makes sure the manifest carries its model annotations (architecture,
// total and active parameters, quantization, context length: what `hearth search` filters on).
// A manifest without them (pulled from Ollama, for instance) is rewritten as an OCI manifest with
// them, and the local copy is updated to the same bytes, so local and remote digests agree.
#include <cstdint>
#include <optional>
#include <string>

#include "store/model_store.h"
#include "store/progress.h"

namespace hearth::store {

struct PushOptions {
  std::optional<std::string> registry;  // --registry URL: push to this registry instead of NAME's
  bool insecure = false;
};

struct PushResult {
  ModelReference destination;
  std::string manifest_digest;
  std::uint64_t uploaded_bytes = 0;
  std::uint64_t skipped_bytes = 0;  // blobs the registry already had
};

PushResult push_model(ModelStore& store, const std::string& name, const PushOptions& options, Progress& progress);

// The manifest to publish: `stored` itself when it already has Hearth's annotations, else a copy
// with them (computed from the model files). Exposed for tests.
std::string annotated_manifest(const ModelStore& store, const StoredModel& stored);

}  // namespace hearth::store
