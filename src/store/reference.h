#pragma once
// Model references, read like container image references:
//   [REGISTRY/][NAMESPACE/]NAME[:TAG][@sha256:DIGEST]
// e.g. "qwen3:30b-a3b", "library/qwen3", "127.0.0.1:5000/library/tiny:q8_0", "acme/team/model@sha256:…".
//
// The first component is a registry when it contains '.' or ':' or is "localhost" (Docker's rule);
// the last component is the name; components between form the namespace ("library" when absent).
// Registry host names and repository paths are case-insensitive and kept lower-case; tags keep
// their case ("q4_K_M").
#include <optional>
#include <string>
#include <string_view>

namespace hearth::store {

// Where unqualified names are pulled from (Ollama's public registry speaks the same protocol);
// HEARTH_REGISTRY overrides it.
inline constexpr std::string_view kDefaultRegistry = "registry.ollama.ai";
inline constexpr std::string_view kDefaultNamespace = "library";
inline constexpr std::string_view kDefaultTag = "latest";

struct ModelReference {
  std::string registry;    // "registry.ollama.ai", "127.0.0.1:5000" (host[:port], no scheme)
  std::string namespace_;  // "library", "acme/team"
  std::string name;        // "qwen3"
  std::string tag;         // "30b-a3b"; "latest" when absent
  std::string digest;      // "sha256:…" when pinned by digest, else empty

  // "library/qwen3": the repository path of the distribution API.
  std::string repository() const { return namespace_ + "/" + name; }
  // Fully qualified: "registry.ollama.ai/library/qwen3:30b-a3b" (plus "@digest" when pinned).
  std::string full() const;
  // Short form for tables and messages: the default registry and "library/" are left out.
  std::string display() const;
  bool operator==(const ModelReference&) const = default;
};

// Parses a reference. `default_registry` replaces kDefaultRegistry (HEARTH_REGISTRY is applied by
// default_registry()). Throws hearth::Error with a one-line reason ("invalid tag '…'").
ModelReference parse_reference(std::string_view text, std::string_view default_registry);
ModelReference parse_reference(std::string_view text);

// The registry used for unqualified names: HEARTH_REGISTRY (host[:port]) or kDefaultRegistry.
std::string default_registry();

// A registry endpoint given on the command line (--registry): "http://127.0.0.1:5000",
// "https://reg.example.com", or a bare "host:port".
struct RegistryEndpoint {
  std::string host;                   // "127.0.0.1:5000"
  std::optional<std::string> scheme;  // "http" | "https" when given explicitly
};
RegistryEndpoint parse_registry_endpoint(std::string_view text);

// Validation helpers, exposed for tests.
bool is_valid_tag(std::string_view tag);
bool is_valid_path_component(std::string_view component);
bool is_valid_registry_host(std::string_view host);

}  // namespace hearth::store
