#include "store/pull.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "store/blob_download.h"
#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/media_types.h"
#include "store/model_info.h"
#include "store/registry_client.h"
#include "store/sha256.h"
#include "util/ascii.h"
#include "util/error.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

struct Resolved {
  RegistryClient::FetchedManifest fetched;
  Manifest manifest;
  std::string tag;  // the tag the manifest was found under
};

// The variant a manifest or index entry declares (Hearth's quantization annotation, or an index
// entry's platform variant / ref name).
std::string declared_variant(const Annotations& a) {
  for (auto key : {annotation::kQuantization, std::string_view("org.opencontainers.image.ref.name")})
    if (auto it = a.find(std::string(key)); it != a.end()) return normalize_quantization(it->second);
  return {};
}

// Picks the manifest of `index` for `variant` (or the only one).
Descriptor choose_from_index(const ManifestIndex& index, const std::string& variant, const std::string& what) {
  std::vector<std::string> offered;
  for (const auto& d : index.manifests) {
    std::string v = declared_variant(d.annotations);
    if (v.empty()) v = ascii_lower(d.platform_variant);
    offered.push_back(v.empty() ? short_digest(d.digest) : v);
    if (!variant.empty() && v == normalize_quantization(variant)) return d;
  }
  if (variant.empty() && index.manifests.size() == 1) return index.manifests[0];
  std::string list;
  for (const auto& o : offered) list += (list.empty() ? "" : ", ") + o;
  if (variant.empty()) fail("{} has several variants ({}): choose one with --variant", what, list);
  fail("{} has no variant '{}' (offered: {})", what, variant, list.empty() ? "none" : list);
}

Resolved fetch_image_manifest(RegistryClient& client, HttpClient& http, const ModelReference& ref,
                              const std::string& reference, const std::string& variant) {
  Resolved r;
  r.tag = ref.tag;
  r.fetched = client.get_manifest(http, ref.repository(), reference);
  std::string what = ref.registry + "/" + ref.repository() + ":" + ref.tag;
  if (manifest_kind(r.fetched.bytes, r.fetched.content_type) == ManifestKind::Index) {
    ManifestIndex index = parse_manifest_index(r.fetched.bytes, r.fetched.content_type);
    Descriptor chosen = choose_from_index(index, variant, what);
    r.fetched = client.get_manifest(http, ref.repository(), chosen.digest);
    require(manifest_kind(r.fetched.bytes, r.fetched.content_type) == ManifestKind::Image,
            "{}: nested manifest indexes are not supported", what);
  }
  r.manifest = parse_manifest(r.fetched.bytes, r.fetched.content_type);
  return r;
}

// Resolves --variant without an index: the manifest's own annotation, else a tag "<tag>-<variant>"
// (Ollama's naming: "30b-a3b-q4_K_M"), matched case-insensitively against the registry's tags.
Resolved resolve_variant(RegistryClient& client, HttpClient& http, const ModelReference& ref,
                         const std::string& variant) {
  std::string want = normalize_quantization(variant);
  std::optional<Resolved> base;
  try {
    base = fetch_image_manifest(client, http, ref, ref.tag, variant);
    if (declared_variant(base->manifest.annotations) == want) return *base;
  } catch (const Error& e) {
    // "has no variant" from an index is final; a missing base tag is fine (only variants exist).
    if (std::string_view(e.what()).find("not found in registry") == std::string_view::npos) throw;
  }
  std::vector<std::string> candidates = {ref.tag + "-" + variant};
  if (ref.tag == kDefaultTag) candidates.push_back(variant);
  std::vector<std::string> tags;
  try {
    tags = client.list_tags(http, ref.repository());
  } catch (const Error&) {
    // Registries without tag listing: try the literal candidates only.
  }
  for (const auto& cand : candidates) {
    std::string found;
    for (const auto& t : tags)
      if (normalize_quantization(t) == normalize_quantization(cand)) found = t;
    if (found.empty() && tags.empty()) found = cand;
    if (found.empty()) continue;
    try {
      ModelReference vref = ref;
      vref.tag = found;
      Resolved r = fetch_image_manifest(client, http, vref, found, variant);
      r.tag = found;
      return r;
    } catch (const Error& e) {
      if (std::string_view(e.what()).find("not found in registry") == std::string_view::npos) throw;
    }
  }
  std::string offered;
  for (const auto& t : tags)
    if (t.rfind(ref.tag + "-", 0) == 0) offered += (offered.empty() ? "" : ", ") + t.substr(ref.tag.size() + 1);
  fail("{}/{}:{} has no variant '{}'{}", ref.registry, ref.repository(), ref.tag, variant,
       offered.empty() ? std::string() : " (offered: " + offered + ")");
}

// File name for a layer written with --output.
std::string output_name(const Descriptor& l) {
  std::string p = layer_file_path(l);
  if (!p.empty()) return p;
  switch (classify_layer(l)) {
    case LayerRole::Gguf:
      return "model.gguf";
    case LayerRole::ChatTemplate:
      return "chat_template.jinja";
    case LayerRole::OllamaTemplate:
      return "template.ollama";
    case LayerRole::System:
      return "system.txt";
    case LayerRole::Params:
      return "params.json";
    case LayerRole::License:
      return "LICENSE";
    default:
      return "sha256-" + digest_hex(l.digest);
  }
}

// Bytes a partial download already occupies on disk (it was reserved with fallocate).
std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

void check_disk(const fs::path& dir, std::uint64_t need, std::uint64_t download) {
  std::uint64_t free_bytes = free_disk_bytes(dir);
  std::uint64_t margin = disk_margin(download);
  if (need + margin > free_bytes)
    fail("not enough disk space in {}: the download needs {} plus {} to spare, {} is free", dir.string(),
         human_bytes(need), human_bytes(margin), human_bytes(free_bytes));
}

}  // namespace

std::uint64_t disk_margin(std::uint64_t download_bytes) { return (32ull << 20) + download_bytes / 100; }

PullResult pull_model(ModelStore& store, const std::string& name, const PullOptions& options, Progress& progress) {
  ModelReference ref = parse_reference(name);
  RegistryOptions ropts;
  ropts.insecure = options.insecure;
  if (options.registry) {
    RegistryEndpoint e = parse_registry_endpoint(*options.registry);
    ref.registry = e.host;
    ropts.scheme = e.scheme;
  }
  RegistryClient client(ref.registry, ropts);
  HttpClient http(client.verify_tls());

  progress.status("pulling manifest");
  Resolved resolved;
  if (!ref.digest.empty()) {
    resolved.fetched = client.get_manifest(http, ref.repository(), ref.digest);
    require(manifest_kind(resolved.fetched.bytes, resolved.fetched.content_type) == ManifestKind::Image,
            "{} is a manifest index: pull it by tag with --variant", ref.full());
    resolved.manifest = parse_manifest(resolved.fetched.bytes, resolved.fetched.content_type);
    resolved.tag = ref.tag;
  } else if (!options.variant.empty()) {
    resolved = resolve_variant(client, http, ref, options.variant);
  } else {
    resolved = fetch_image_manifest(client, http, ref, ref.tag, "");
  }
  const Manifest& manifest = resolved.manifest;
  std::string what = ref.registry + "/" + ref.repository() + ":" + resolved.tag;
  bool loadable = false;
  for (const auto& l : manifest.layers) {
    LayerRole role = classify_layer(l);
    require(role != LayerRole::Archive, "{}: layer {} is a tar archive ({}), which Hearth does not unpack yet", what,
            short_digest(l.digest), l.media_type);
    loadable |= role == LayerRole::Gguf || role == LayerRole::WeightFile;
  }
  require(loadable, "{} is not a model: its manifest has no weights layer", what);

  PullResult result;
  result.ref = ref;
  result.ref.digest.clear();
  result.ref.tag = resolved.tag;
  result.manifest_digest = resolved.fetched.digest;
  result.total_bytes = manifest.total_size();

  // Where blobs go: the store, or (with --output) named files in a folder.
  const bool to_output = options.output.has_value();
  fs::path partial = to_output ? *options.output / ".hearth-partial" : store.partial_dir();
  fs::path space_dir = to_output ? *options.output : store.root();
  std::vector<Descriptor> wanted;
  std::map<std::string, std::string> out_names;  // digest -> file name (output mode)
  if (to_output) {
    std::set<std::string> names;
    for (const auto& l : manifest.layers) {
      std::string n = output_name(l);
      require(names.insert(n).second, "{}: two layers would be written to {}", what, n);
      if (out_names.count(l.digest)) continue;
      out_names[l.digest] = n;
      wanted.push_back(l);
    }
  } else {
    wanted = manifest.blobs();
  }

  std::optional<StoreLock> lock;
  if (!to_output) lock.emplace(store.lock(StoreLock::Mode::Shared));

  // What is already present, what an interrupted run left, what remains.
  std::vector<Descriptor> missing;
  std::uint64_t need = 0, download = 0;
  for (const auto& b : wanted) {
    fs::path verified = partial / ("sha256-" + digest_hex(b.digest) + ".verified");
    std::error_code ec;
    if (!to_output && store.has_blob(b)) {
      result.present_bytes += b.size;
      progress.finish(b.digest, "exists", b.size);
      continue;
    }
    if (to_output) {
      fs::path dest = *options.output / out_names[b.digest];
      if (fs::is_regular_file(dest, ec) && fs::file_size(dest, ec) == b.size &&
          "sha256:" + sha256_file_hex(dest.string()) == b.digest) {
        result.present_bytes += b.size;
        progress.finish(b.digest, "exists", b.size);
        continue;
      }
    }
    // Verified by an earlier, failed pull: checked again, since it sat outside the store meanwhile.
    if (fs::is_regular_file(verified, ec)) {
      if (fs::file_size(verified, ec) == b.size && "sha256:" + sha256_file_hex(verified.string()) == b.digest) {
        result.resumed_bytes += b.size;
        progress.finish(b.digest, "verified earlier", b.size);
        continue;
      }
      fs::remove(verified, ec);
    }
    missing.push_back(b);
    fs::path data = partial / ("sha256-" + digest_hex(b.digest) + ".data");
    need += b.size - std::min<std::uint64_t>(b.size, allocated_bytes(data));
    download += b.size - std::min<std::uint64_t>(b.size, resumable_bytes(partial, b));
  }
  check_disk(space_dir, need, download);

  // Download; verified blobs wait in partial/ as "<hex>.verified" until the whole model is there.
  std::vector<BlobTarget> targets;
  for (const auto& b : missing) {
    fs::path verified = partial / ("sha256-" + digest_hex(b.digest) + ".verified");
    targets.push_back({b, [verified](const fs::path& file) { durable_rename(file, verified); }});
  }
  if (!targets.empty()) {
    DownloadOptions dopts = DownloadOptions::from_env();
    dopts.limit_rate = options.limit_rate;
    DownloadStats stats = download_blobs(client, ref.repository(), partial, std::move(targets), dopts, progress);
    result.downloaded_bytes = stats.downloaded_bytes;
    result.resumed_bytes += stats.resumed_bytes;
  }

  // Every blob is verified: move them in, then publish the manifest.
  std::error_code ec;
  for (const auto& b : wanted) {
    fs::path verified = partial / ("sha256-" + digest_hex(b.digest) + ".verified");
    if (!fs::exists(verified, ec)) continue;
    if (to_output) {
      fs::path dest = *options.output / safe_relative_path(out_names[b.digest]);
      make_dirs(dest.parent_path());
      ::chmod(verified.c_str(), 0644);
      durable_rename(verified, dest);
    } else {
      store.commit_blob(verified, b.digest);
    }
  }
  progress.status("writing manifest");
  if (to_output) {
    // Hidden name: a layer may well be called manifest.json.
    atomic_write_file(*options.output / ".hearth-manifest.json", resolved.fetched.bytes);
    fs::remove(partial, ec);  // only when empty
    result.output = *options.output;
  } else {
    store.write_manifest(result.ref, resolved.fetched.bytes);
  }
  return result;
}

}  // namespace hearth::store
