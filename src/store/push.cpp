#include "store/push.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "store/manifest.h"
#include "store/media_types.h"
#include "store/model_info.h"
#include "store/registry_client.h"
#include "store/resolve.h"
#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

std::uint64_t chunk_size_from_env() {
  const char* v = std::getenv("HEARTH_PUSH_CHUNK_SIZE");
  if (!v || !*v) return 32ull << 20;
  char* end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 10);
  require(end && *end == '\0' && x > 0, "HEARTH_PUSH_CHUNK_SIZE='{}' is not a positive byte count", v);
  return x;
}

}  // namespace

std::string annotated_manifest(const ModelStore& store, const StoredModel& stored) {
  if (stored.manifest.media_type == media::kOciManifest && has_model_annotations(stored.manifest.annotations))
    return stored.manifest_bytes;
  ModelInfo info;
  try {
    ResolvedModel resolved = resolve_model(stored.ref.full(), store);
    info = inspect_model(resolved.path);
  } catch (const Error& e) {
    // Still publishable, only not findable by `hearth search` filters.
    spdlog::warn("pushing {} without model annotations: {}", stored.ref.display(), e.what());
    return stored.manifest_bytes;
  }
  Manifest m = stored.manifest;
  m.media_type = std::string(media::kOciManifest);
  for (auto& [k, v] : model_annotations(info)) m.annotations[k] = v;
  return serialize_manifest(m);
}

PushResult push_model(ModelStore& store, const std::string& name, const PushOptions& options, Progress& progress) {
  ModelReference local = parse_reference(name);
  StoredModel stored = store.get(local);
  PushResult result;
  result.destination = stored.ref;
  RegistryOptions ropts;
  ropts.insecure = options.insecure;
  if (options.registry) {
    RegistryEndpoint e = parse_registry_endpoint(*options.registry);
    result.destination.registry = e.host;
    ropts.scheme = e.scheme;
  }
  const ModelReference& dest = result.destination;
  RegistryClient client(dest.registry, ropts);
  HttpClient http(client.verify_tls());

  // Annotations first: they change the manifest bytes, and the local copy follows.
  std::string bytes = annotated_manifest(store, stored);
  if (bytes != stored.manifest_bytes) {
    StoreLock lock = store.lock(StoreLock::Mode::Shared);
    store.write_manifest(stored.ref, bytes);
  }
  Manifest manifest = parse_manifest(bytes);
  for (const auto& b : manifest.blobs())
    require(store.has_blob(b), "model '{}' is incomplete: blob {} is missing (pull it again)", stored.ref.display(),
            short_digest(b.digest));

  const std::uint64_t chunk = chunk_size_from_env();
  for (const auto& b : manifest.blobs()) {
    if (client.blob_exists(http, dest.repository(), b)) {
      result.skipped_bytes += b.size;
      progress.finish(b.digest, "exists", b.size);
      continue;
    }
    std::string path = store.blob_path(b.digest).string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
    progress.start(b.digest, b.size, 0);
    try {
      client.upload_blob(http, dest.repository(), b, fd, chunk,
                         [&](std::uint64_t sent) { progress.update(b.digest, sent); });
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    progress.finish(b.digest, "done");
    result.uploaded_bytes += b.size;
  }
  progress.status("pushing manifest");
  std::string remote_digest = client.put_manifest(http, dest.repository(), dest.tag, bytes, manifest.media_type);
  result.manifest_digest = digest_of(bytes);
  require(remote_digest == result.manifest_digest, "registry {} stored the manifest under digest {}, expected {}",
          dest.registry, remote_digest, result.manifest_digest);
  return result;
}

}  // namespace hearth::store
