// The local store: blobs, manifests, names, garbage collection, and consistency after a crash at
// every intermediate step (simulated in forked children that _exit() at each crash point).
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/media_types.h"
#include "store/model_store.h"
#include "store/resolve.h"
#include "store/sha256.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::store {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string slurp(const fs::path& p) { return read_small_file(p); }

// Every blob file holds the bytes its name promises; every manifest's blobs are present.
void expect_consistent(const ModelStore& store) {
  std::error_code ec;
  if (fs::is_directory(store.blobs_dir(), ec)) {
    for (const auto& e : fs::directory_iterator(store.blobs_dir())) {
      std::string name = e.path().filename().string();
      if (name.rfind(".tmp-", 0) == 0) continue;
      ASSERT_EQ(name.rfind("sha256-", 0), 0u) << name;
      EXPECT_EQ(sha256_file_hex(e.path().string()), name.substr(7)) << "blob with wrong content: " << name;
    }
  }
  for (const auto& m : store.list())
    for (const auto& b : m.manifest.blobs()) EXPECT_TRUE(store.has_blob(b)) << m.ref.display() << " lacks " << b.digest;
}

// A two-layer model: a "weights" file imported from disk plus a small config blob.
std::string build_model(ModelStore& store, const fs::path& weights_file) {
  Manifest m;
  m.media_type = std::string(media::kOciManifest);
  m.artifact_type = std::string(media::kModelPackArtifact);
  auto [cfg_digest, cfg_size] = store.add_blob_bytes(R"({"config":{"format":"safetensors"}})");
  m.config.media_type = std::string(media::kModelPackConfig);
  m.config.digest = cfg_digest;
  m.config.size = cfg_size;
  auto [w_digest, w_size] = store.import_file(weights_file);
  Descriptor w;
  w.media_type = std::string(media::kModelPackWeightRaw);
  w.digest = w_digest;
  w.size = w_size;
  w.annotations[std::string(media::kFilePathAnnotation)] = "model.safetensors";
  m.layers.push_back(w);
  return serialize_manifest(m);
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("HEARTH_REGISTRY");
    weights_ = tmp_ / "weights.bin";
    std::string data;
    for (int i = 0; i < 300000; ++i) data += static_cast<char>(i % 251);
    write_file(weights_, data);
  }
  test::TempDir tmp_;
  fs::path weights_;
  ModelStore store_{tmp_ / "store"};
};

TEST_F(StoreTest, BlobsAreContentAddressedAndReadOnly) {
  auto [digest, size] = store_.import_file(weights_);
  EXPECT_EQ(digest, "sha256:" + sha256_file_hex(weights_.string()));
  EXPECT_EQ(size, fs::file_size(weights_));
  fs::path blob = store_.blob_path(digest);
  EXPECT_EQ(slurp(blob), slurp(weights_));
  EXPECT_EQ(fs::status(blob).permissions() & fs::perms::owner_write, fs::perms::none);
  // Importing again finds the blob; nothing else appears.
  store_.import_file(weights_);
  int files = 0;
  for (const auto& e : fs::directory_iterator(store_.blobs_dir())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(StoreTest, ManifestRequiresItsBlobs) {
  Manifest m;
  m.media_type = std::string(media::kOciManifest);
  m.config.media_type = std::string(media::kModelPackConfig);
  m.config.digest = "sha256:" + std::string(64, 'c');
  m.config.size = 3;
  EXPECT_THROW(store_.write_manifest(parse_reference("x"), serialize_manifest(m)), Error);
  EXPECT_TRUE(store_.list().empty());
}

TEST_F(StoreTest, NamesListCopyRemove) {
  std::string bytes = build_model(store_, weights_);
  store_.write_manifest(parse_reference("tiny:v1"), bytes);
  store_.copy(parse_reference("tiny:v1"), parse_reference("127.0.0.1:5000/team/tiny:v2"));
  auto models = store_.list();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].ref.display(), "127.0.0.1:5000/team/tiny:v2");
  EXPECT_EQ(models[1].ref.display(), "tiny:v1");
  EXPECT_EQ(models[0].digest, models[1].digest);  // same bytes, same digest
  EXPECT_EQ(models[0].digest, digest_of(bytes));
  EXPECT_TRUE(fs::exists(store_.root() / "manifests/registry.ollama.ai/library/tiny/v1"));
  EXPECT_THROW(store_.get(parse_reference("tiny:v3")), Error);
  EXPECT_THROW(store_.copy(parse_reference("nope"), parse_reference("x")), Error);

  EXPECT_TRUE(store_.remove_manifest(parse_reference("tiny:v1")));
  EXPECT_FALSE(store_.remove_manifest(parse_reference("tiny:v1")));
  EXPECT_FALSE(fs::exists(store_.root() / "manifests/registry.ollama.ai"));  // emptied folders go too
  // Blobs are still used by v2: gc keeps them.
  GcReport r = store_.gc();
  EXPECT_EQ(r.blobs_removed, 0u);
  store_.remove_manifest(parse_reference("127.0.0.1:5000/team/tiny:v2"));
  r = store_.gc(/*dry_run=*/true);
  EXPECT_EQ(r.blobs_removed, 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(store_.blobs_dir()), fs::directory_iterator()), 2);
  r = store_.gc();
  EXPECT_EQ(r.blobs_removed, 2u);
  EXPECT_EQ(r.bytes_freed, fs::file_size(weights_) + std::string(R"({"config":{"format":"safetensors"}})").size());
  EXPECT_TRUE(fs::is_empty(store_.blobs_dir()));
}

TEST_F(StoreTest, ListIgnoresTempFilesAndForeignNames) {
  store_.write_manifest(parse_reference("tiny"), build_model(store_, weights_));
  write_file(store_.manifests_dir() / "registry.ollama.ai/library/tiny/.tmp-latest-1-2-3", "{partial");
  write_file(store_.manifests_dir() / "registry.ollama.ai/library/Upper/latest", "{}");
  write_file(store_.blobs_dir() / ".tmp-import-9-9-9", "garbage");
  auto models = store_.list();
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].ref.display(), "tiny:latest");
  GcReport r = store_.gc();
  EXPECT_EQ(r.temp_files_removed, 2u);
  EXPECT_FALSE(fs::exists(store_.blobs_dir() / ".tmp-import-9-9-9"));
}

TEST_F(StoreTest, GcStopsOnUnreadableManifest) {
  store_.write_manifest(parse_reference("tiny"), build_model(store_, weights_));
  write_file(store_.manifests_dir() / "registry.ollama.ai/library/broken/latest", "not json");
  EXPECT_THROW(store_.gc(), Error);
  expect_consistent(store_);
  EXPECT_EQ(std::distance(fs::directory_iterator(store_.blobs_dir()), fs::directory_iterator()), 2);
}

TEST_F(StoreTest, ExclusiveLockWaitsForWriters) {
  StoreLock shared = store_.lock(StoreLock::Mode::Shared);
  EXPECT_TRUE(store_.try_lock(StoreLock::Mode::Shared).held());
  EXPECT_FALSE(store_.try_lock(StoreLock::Mode::Exclusive).held());
  shared = StoreLock();
  EXPECT_TRUE(store_.try_lock(StoreLock::Mode::Exclusive).held());
}

TEST_F(StoreTest, MaterialisedFolderHoldsTheFiles) {
  store_.write_manifest(parse_reference("tiny"), build_model(store_, weights_));
  ResolvedModel r = resolve_model("tiny", store_);
  EXPECT_EQ(slurp(fs::path(r.path) / "model.safetensors"), slurp(weights_));
  EXPECT_EQ(resolve_model("tiny", store_).path, r.path);  // reused
  // A path that exists wins over a name.
  EXPECT_EQ(resolve_model(weights_.string(), store_).path, weights_.string());
  try {
    resolve_model("missing:tag", store_);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither a file nor a model"), std::string::npos) << e.what();
  }
  // The folder goes with its model.
  store_.remove_manifest(parse_reference("tiny"));
  EXPECT_EQ(store_.gc().folders_removed, 1u);
  EXPECT_FALSE(fs::exists(r.path));
}

// The scenario the crash test interrupts: add a model, name it twice, drop one name, collect.
void scenario(ModelStore& store, const fs::path& weights) {
  std::string bytes = build_model(store, weights);
  store.write_manifest(parse_reference("m:1"), bytes);
  store.copy(parse_reference("m:1"), parse_reference("m:2"));
  store.remove_manifest(parse_reference("m:1"));
  store.gc();
}

TEST_F(StoreTest, ConsistentAfterCrashAtEveryStep) {
  int crash_points = 0;
  for (int k = 1; k < 200; ++k) {
    test::TempDir dir;
    ModelStore store(dir / "store");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int seen = 0;
      set_crash_hook([&](std::string_view) {
        if (++seen == k) ::_exit(77);
      });
      try {
        scenario(store, weights_);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    ASSERT_NE(code, 1) << "scenario failed in the child at k=" << k;
    // Whatever the step, the store is consistent, and running the scenario again completes it.
    expect_consistent(store);
    scenario(store, weights_);
    expect_consistent(store);
    auto models = store.list();
    ASSERT_EQ(models.size(), 1u);
    EXPECT_EQ(models[0].ref.display(), "m:2");
    EXPECT_EQ(std::distance(fs::directory_iterator(store.blobs_dir()), fs::directory_iterator()), 2) << "k=" << k;
    if (code == 0) break;  // the child ran past the last crash point
    ++crash_points;
  }
  EXPECT_GE(crash_points, 8);  // the scenario has that many intermediate states at least
}

}  // namespace
}  // namespace hearth::store
