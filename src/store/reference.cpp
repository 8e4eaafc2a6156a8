#include "store/reference.h"

#include <cctype>
#include <cstdlib>
#include <vector>

#include "store/fs_util.h"
#include "store/sha256.h"
#include "util/ascii.h"
#include "util/error.h"

namespace hearth::store {
namespace {

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool looks_like_registry(std::string_view component) {
  return component.find('.') != std::string_view::npos || component.find(':') != std::string_view::npos ||
         component == "localhost";
}

}  // namespace

bool is_valid_tag(std::string_view tag) {
  // OCI distribution: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag[0])) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool is_valid_path_component(std::string_view c) {
  // OCI distribution: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
  if (c.empty() || c.size() > 128 || !is_alnum_lower(c.front()) || !is_alnum_lower(c.back())) return false;
  for (std::size_t i = 0; i < c.size();) {
    if (is_alnum_lower(c[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < c.size() && !is_alnum_lower(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" || sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool is_valid_registry_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  std::string_view name = host;
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    if (std::atoi(std::string(port).c_str()) > 65535) return false;
    name = host.substr(0, colon);
  }
  if (name.empty()) return false;
  if (name.front() == '[' && name.back() == ']') return name.size() > 2;  // IPv6 literal
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return name.front() != '.' && name.front() != '-' && name.back() != '.' && name.back() != '-';
}

std::string ModelReference::full() const {
  std::string s = registry + "/" + repository() + ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string ModelReference::display() const {
  std::string s;
  if (registry != default_registry()) s = registry + "/";
  if (registry != default_registry() || namespace_ != kDefaultNamespace) s += namespace_ + "/";
  s += name + ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string default_registry() {
  if (const char* env = std::getenv("HEARTH_REGISTRY"); env && *env) {
    RegistryEndpoint e = parse_registry_endpoint(env);
    return e.host;
  }
  return std::string(kDefaultRegistry);
}

ModelReference parse_reference(std::string_view text) { return parse_reference(text, default_registry()); }

ModelReference parse_reference(std::string_view text, std::string_view default_reg) {
  std::string shown = printable(text);
  require(!text.empty(), "empty model name");
  for (char c : text)
    require(static_cast<unsigned char>(c) > ' ' && c != '\x7f',
            "invalid model name '{}': contains spaces or control characters", shown);
  ModelReference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    require(is_valid_digest(ref.digest), "invalid digest in '{}' (expected @sha256: and 64 lower-case hex digits)",
            shown);
    rest = rest.substr(0, at);
  }
  require(!rest.empty(), "invalid model name '{}': no name before '@'", shown);
  // The tag follows the last ':' after the last '/' (a ':' before it belongs to a registry port).
  std::size_t slash = rest.rfind('/');
  std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    require(is_valid_tag(ref.tag), "invalid tag '{}' in '{}' (letters, digits, '_', '.', '-'; at most 128)",
            ref.tag.substr(0, 140), shown);
    rest = rest.substr(0, colon);
  } else {
    ref.tag = std::string(kDefaultTag);
  }
  std::vector<std::string_view> parts = split(rest, '/');
  if (parts.size() > 1 && looks_like_registry(parts.front())) {
    ref.registry = ascii_lower(parts.front());
    require(is_valid_registry_host(ref.registry), "invalid registry address '{}' in '{}'", parts.front(), shown);
    parts.erase(parts.begin());
  } else {
    ref.registry = ascii_lower(default_reg);
  }
  for (auto p : parts) require(!p.empty(), "invalid model name '{}': empty path component", shown);
  for (auto p : parts) {
    std::string c = ascii_lower(p);
    require(is_valid_path_component(c),
            "invalid model name '{}': '{}' must be letters and digits separated by '.', '_' or '-'", shown, p);
  }
  ref.name = ascii_lower(parts.back());
  parts.pop_back();
  if (parts.empty()) {
    ref.namespace_ = std::string(kDefaultNamespace);
  } else {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i) ref.namespace_ += '/';
      ref.namespace_ += ascii_lower(parts[i]);
    }
  }
  require(ref.repository().size() <= 255, "invalid model name '{}': longer than 255 characters", shown);
  return ref;
}

RegistryEndpoint parse_registry_endpoint(std::string_view text) {
  std::string shown = printable(text);
  RegistryEndpoint e;
  std::string_view rest = text;
  if (auto p = rest.find("://"); p != std::string_view::npos) {
    std::string scheme = ascii_lower(rest.substr(0, p));
    require(scheme == "http" || scheme == "https", "registry '{}': only http:// and https:// are supported", shown);
    e.scheme = scheme;
    rest = rest.substr(p + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  require(rest.find('/') == std::string_view::npos, "registry '{}': give only the address (host[:port]), not a path",
          shown);
  e.host = ascii_lower(rest);
  require(is_valid_registry_host(e.host), "invalid registry address '{}'", shown);
  return e;
}

}  // namespace hearth::store
