// Manifests of the three vocabularies (Ollama, CNCF ModelPack, Docker Model Runner), indexes, and
// the validation that keeps hostile manifests away from the file system.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/manifest.h"
#include "store/media_types.h"
#include "util/error.h"

namespace hearth::store {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

// The shape of a manifest served by registry.ollama.ai for library/qwen3:30b-a3b.
std::string ollama_manifest() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
         D('1') + R"(","size":489},
    "layers":[
      {"mediaType":"application/vnd.ollama.image.model","digest":")" +
         D('2') + R"(","size":18556685568},
      {"mediaType":"application/vnd.ollama.image.template","digest":")" +
         D('3') + R"(","size":1723},
      {"mediaType":"application/vnd.ollama.image.license","digest":")" +
         D('4') + R"(","size":11338},
      {"mediaType":"application/vnd.ollama.image.params","digest":")" +
         D('5') + R"(","size":148},
      {"mediaType":"application/vnd.ollama.image.system","digest":")" +
         D('6') + R"(","size":20}]})";
}

std::string modelpack_manifest(const std::string& filepath = "model.safetensors") {
  nlohmann::json j = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"artifactType", "application/vnd.cncf.model.manifest.v1+json"},
      {"config", {{"mediaType", "application/vnd.cncf.model.config.v1+json"}, {"digest", D('a')}, {"size", 300}}},
      {"layers",
       {{{"mediaType", "application/vnd.cncf.model.weight.v1.raw"},
         {"digest", D('b')},
         {"size", 1000},
         {"annotations", {{"org.cncf.model.filepath", filepath}}}},
        {{"mediaType", "application/vnd.cncf.model.weight.config.v1.raw"},
         {"digest", D('c')},
         {"size", 10},
         {"annotations", {{"org.cncf.model.filepath", "config.json"}}}},
        {{"mediaType", "application/vnd.cncf.model.doc.v1.raw"},
         {"digest", D('d')},
         {"size", 10},
         {"annotations", {{"org.cncf.model.filepath", "LICENSE"}}}},
        {{"mediaType", "application/vnd.cncf.model.doc.v1.raw"},
         {"digest", D('e')},
         {"size", 10},
         {"annotations", {{"org.cncf.model.filepath", "README.md"}}}}}},
      {"annotations", {{"dev.hearth.model.architecture", "qwen3moe"}}}};
  return j.dump();
}

TEST(Manifest, OllamaLayersAndRoles) {
  Manifest m = parse_manifest(ollama_manifest());
  EXPECT_EQ(m.media_type, media::kDockerManifest);
  EXPECT_EQ(m.config.media_type, media::kDockerImageConfig);
  ASSERT_EQ(m.layers.size(), 5u);
  EXPECT_EQ(m.layers[0].size, 18556685568ull);  // beyond 32 bits
  EXPECT_EQ(classify_layer(m.layers[0]), LayerRole::Gguf);
  EXPECT_EQ(classify_layer(m.layers[1]), LayerRole::OllamaTemplate);
  EXPECT_EQ(classify_layer(m.layers[2]), LayerRole::License);
  EXPECT_EQ(classify_layer(m.layers[3]), LayerRole::Params);
  EXPECT_EQ(classify_layer(m.layers[4]), LayerRole::System);
  EXPECT_EQ(m.total_size(), 489ull + 18556685568ull + 1723 + 11338 + 148 + 20);
  EXPECT_EQ(m.blobs().size(), 6u);
  EXPECT_EQ(m.blobs()[0].digest, D('1'));  // config first
}

TEST(Manifest, ModelPackFilesAndRoles) {
  Manifest m = parse_manifest(modelpack_manifest());
  EXPECT_EQ(m.artifact_type, media::kModelPackArtifact);
  EXPECT_EQ(classify_layer(m.layers[0]), LayerRole::WeightFile);
  EXPECT_EQ(layer_file_path(m.layers[0]), "model.safetensors");
  EXPECT_EQ(classify_layer(m.layers[1]), LayerRole::WeightFile);
  EXPECT_EQ(classify_layer(m.layers[2]), LayerRole::License);
  EXPECT_EQ(classify_layer(m.layers[3]), LayerRole::Doc);
  EXPECT_EQ(m.annotations.at("dev.hearth.model.architecture"), "qwen3moe");
  // A GGUF file stored with the generic ModelPack weight type is recognised by its path.
  EXPECT_EQ(classify_layer(parse_manifest(modelpack_manifest("qwen3.gguf")).layers[0]), LayerRole::Gguf);
}

TEST(Manifest, DockerModelRunnerTypes) {
  nlohmann::json j = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", {{"mediaType", "application/vnd.docker.ai.model.config.v0.1+json"}, {"digest", D('a')}, {"size", 3}}},
      {"layers",
       {{{"mediaType", "application/vnd.docker.ai.gguf.v3"}, {"digest", D('b')}, {"size", 5}},
        {{"mediaType", "application/vnd.docker.ai.license"}, {"digest", D('c')}, {"size", 5}},
        {{"mediaType", "application/vnd.docker.ai.chat.template.jinja"}, {"digest", D('d')}, {"size", 5}}}}};
  Manifest m = parse_manifest(j.dump());
  EXPECT_EQ(classify_layer(m.layers[0]), LayerRole::Gguf);
  EXPECT_EQ(classify_layer(m.layers[1]), LayerRole::License);
  EXPECT_EQ(classify_layer(m.layers[2]), LayerRole::ChatTemplate);
}

TEST(Manifest, MediaTypeFromContentTypeWhenAbsent) {
  nlohmann::json j = nlohmann::json::parse(modelpack_manifest());
  j.erase("mediaType");
  EXPECT_EQ(parse_manifest(j.dump()).media_type, media::kOciManifest);
  EXPECT_EQ(manifest_kind(j.dump()), ManifestKind::Image);
}

TEST(Manifest, IndexSelection) {
  nlohmann::json idx = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", D('1')},
         {"size", 10},
         {"annotations", {{"dev.hearth.model.quantization", "q4_k_m"}}}},
        {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", D('2')}, {"size", 10}}}}};
  EXPECT_EQ(manifest_kind(idx.dump()), ManifestKind::Index);
  EXPECT_EQ(manifest_kind("{}", "application/vnd.docker.distribution.manifest.list.v2+json"), ManifestKind::Index);
  ManifestIndex i = parse_manifest_index(idx.dump());
  ASSERT_EQ(i.manifests.size(), 2u);
  EXPECT_EQ(i.manifests[0].annotations.at("dev.hearth.model.quantization"), "q4_k_m");
}

TEST(Manifest, RejectsHostileOrBrokenDocuments) {
  auto expect_error = [](const std::string& doc, const std::string& needle) {
    try {
      parse_manifest(doc);
      ADD_FAILURE() << "accepted: " << doc.substr(0, 200);
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  };
  expect_error("not json", "not valid JSON");
  expect_error("[]", "not a JSON object");
  expect_error(R"({"schemaVersion":1})", "schemaVersion");
  nlohmann::json j = nlohmann::json::parse(modelpack_manifest());
  auto with = [&](auto edit) {
    nlohmann::json c = j;
    edit(c);
    return c.dump();
  };
  expect_error(with([](auto& c) { c["layers"][0]["digest"] = "sha256:1234"; }), "invalid digest");
  expect_error(with([](auto& c) { c["layers"][0]["digest"] = "sha512:" + std::string(128, 'a'); }),
               "unsupported algorithm");
  expect_error(with([](auto& c) { c["layers"][0]["size"] = -1; }), "negative size");
  expect_error(with([](auto& c) { c["layers"][0]["size"] = "12"; }), "size");
  expect_error(with([](auto& c) { c["layers"][0]["annotations"]["org.cncf.model.filepath"] = "../../etc/passwd"; }),
               "unsafe file path");
  expect_error(with([](auto& c) { c["layers"][0]["annotations"]["org.cncf.model.filepath"] = "/etc/passwd"; }),
               "unsafe file path");
  expect_error(with([](auto& c) { c["layers"][1]["annotations"]["org.cncf.model.filepath"] = "model.safetensors"; }),
               "two layers");
  expect_error(with([](auto& c) { c.erase("config"); }), "config");
  expect_error(with([](auto& c) { c["mediaType"] = "application/vnd.oci.image.index.v1+json"; }), "media type");
}

TEST(Manifest, SerializeRoundTrips) {
  Manifest m = parse_manifest(modelpack_manifest());
  std::string bytes = serialize_manifest(m);
  Manifest again = parse_manifest(bytes);
  EXPECT_EQ(again.layers.size(), m.layers.size());
  EXPECT_EQ(again.artifact_type, m.artifact_type);
  EXPECT_EQ(again.annotations, m.annotations);
  EXPECT_EQ(serialize_manifest(again), bytes);  // deterministic
}

}  // namespace
}  // namespace hearth::store
