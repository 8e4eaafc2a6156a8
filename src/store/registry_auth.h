#pragma once
// Registry authentication: WWW-Authenticate challenges (Bearer token service or Basic), the
// credentials Hearth may use, and bearer tokens cached per scope.
//
// Credentials come from HEARTH_REGISTRY_USERNAME / HEARTH_REGISTRY_PASSWORD, else from Docker's
// login file ($DOCKER_CONFIG/config.json or ~/.docker/config.json, "auths" entries for the host),
// so `docker login` also serves Hearth. Nothing is sent to a registry that did not ask for it.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::store {

struct AuthChallenge {
  std::string scheme;                         // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-case keys: realm, service, scope, error
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses one WWW-Authenticate value (which may hold several challenges, RFC 7235). Malformed input
// yields what could be read, never an exception.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

struct Credentials {
  std::string username;
  std::string password;
  std::string source;  // "HEARTH_REGISTRY_USERNAME" or the docker config path, for messages
};

// Credentials for `registry_host`, if any are configured.
std::optional<Credentials> find_credentials(const std::string& registry_host);

std::string base64_encode(std::string_view bytes);
// Throws hearth::Error on invalid input.
std::string base64_decode(std::string_view text);

}  // namespace hearth::store
