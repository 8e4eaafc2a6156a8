#include "store/search.h"

#include <cmath>

#include "store/fs_util.h"
#include "store/model_info.h"
#include "store/sha256.h"
#include "util/ascii.h"
#include "util/error.h"

namespace hearth::store {
namespace {

std::string get(const Annotations& a, std::string_view key) {
  auto it = a.find(std::string(key));
  return it == a.end() ? std::string() : it->second;
}

bool near(const std::string& actual_text, std::uint64_t wanted) {
  if (actual_text.empty()) return false;
  char* end = nullptr;
  unsigned long long actual = std::strtoull(actual_text.c_str(), &end, 10);
  if (!end || *end != '\0') return false;
  return std::fabs(static_cast<double>(actual) - static_cast<double>(wanted)) <= 0.1 * static_cast<double>(wanted);
}

}  // namespace

void parse_params_filter(const std::string& text, SearchFilter& filter) {
  std::string t = ascii_lower(text);
  auto dash = t.find("-a");
  if (dash != std::string::npos) {
    filter.params = parse_count(t.substr(0, dash));
    filter.active_params = parse_count(t.substr(dash + 2));
  } else {
    filter.params = parse_count(t);
  }
  require(*filter.params > 0, "--params '{}' must be above zero", text);
}

bool matches(const SearchFilter& f, const std::string& name, const Annotations& a) {
  if (!f.text.empty()) {
    std::string needle = ascii_lower(f.text);
    std::string hay = ascii_lower(name + " " + get(a, annotation::kTitle) + " " + get(a, annotation::kDescription));
    if (hay.find(needle) == std::string::npos) return false;
  }
  if (!f.arch.empty()) {
    std::string want = ascii_lower(f.arch);
    if (want == "moe" || want == "dense") {
      if (get(a, annotation::kKind) != want) return false;
    } else if (ascii_lower(get(a, annotation::kArchitecture)) != want) {
      return false;
    }
  }
  if (f.params && !near(get(a, annotation::kParameters), *f.params)) return false;
  if (f.active_params && !near(get(a, annotation::kActiveParameters), *f.active_params)) return false;
  if (!f.quant.empty() && normalize_quantization(get(a, annotation::kQuantization)) != normalize_quantization(f.quant))
    return false;
  return true;
}

std::vector<SearchHit> search_registry(RegistryClient& client, const SearchFilter& filter, std::size_t limit) {
  HttpClient http(client.verify_tls());
  std::vector<SearchHit> hits;
  for (const auto& repo : client.catalog(http)) {
    std::vector<std::string> tags;
    try {
      tags = client.list_tags(http, repo);
    } catch (const Error&) {
      continue;  // a repository deleted meanwhile, or one we may not read
    }
    for (const auto& tag : tags) {
      std::string name = client.host() + "/" + repo + ":" + tag;
      RegistryClient::FetchedManifest fetched;
      try {
        fetched = client.get_manifest(http, repo, tag);
      } catch (const Error&) {
        continue;
      }
      if (manifest_kind(fetched.bytes, fetched.content_type) != ManifestKind::Image) continue;
      Manifest m;
      try {
        m = parse_manifest(fetched.bytes, fetched.content_type);
      } catch (const Error&) {
        continue;  // not a manifest Hearth understands: not a model
      }
      if (!matches(filter, name, m.annotations)) continue;
      hits.push_back({name, fetched.digest, m.total_size(), m.annotations});
      if (limit && hits.size() >= limit) return hits;
    }
  }
  return hits;
}

}  // namespace hearth::store
