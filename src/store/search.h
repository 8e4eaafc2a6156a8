#pragma once
// hearth search: what a registry offers, filtered on the annotations Hearth writes at create/push
// time. Walks the registry's catalog (/v2/_catalog), each repository's tags, and each tag's manifest.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/manifest.h"
#include "store/registry_client.h"

namespace hearth::store {

struct SearchFilter {
  std::string text;                     // substring of "namespace/name:tag" or the title/description (case-insensitive)
  std::string arch;                     // "moe" | "dense" | an architecture name ("qwen3moe")
  std::optional<std::uint64_t> params;  // total parameters, matched within ±10%
  std::optional<std::uint64_t> active_params;  // active parameters, matched within ±10%
  std::string quant;                           // "fp16", "q4_k_m", … (normalised)
};

struct SearchHit {
  std::string name;  // "registry/namespace/name:tag"
  std::string digest;
  std::uint64_t size = 0;
  Annotations annotations;
};

// Parses "--params" text: "32B" or "30B-A3B" (total, then active). Throws hearth::Error.
void parse_params_filter(const std::string& text, SearchFilter& filter);

// True when a manifest's annotations (and name) satisfy the filter.
bool matches(const SearchFilter& filter, const std::string& name, const Annotations& annotations);

// Lists matching models; at most `limit` hits (0 = no limit).
std::vector<SearchHit> search_registry(RegistryClient& client, const SearchFilter& filter, std::size_t limit = 0);

}  // namespace hearth::store
