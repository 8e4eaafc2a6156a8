#include "store/registry_auth.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "store/fs_util.h"
#include "util/ascii.h"
#include "util/error.h"

namespace hearth::store {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/:").find(c) != std::string_view::npos;
}

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view s) {
  std::vector<AuthChallenge> out;
  std::size_t i = 0;
  while (i < s.size()) {
    skip_space(s, i);
    while (i < s.size() && (s[i] == ',' || s[i] == ' ')) ++i;
    std::size_t start = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    if (i == start) break;
    AuthChallenge ch;
    ch.scheme = ascii_lower(std::string(s.substr(start, i - start)));
    // Parameters: key=value pairs separated by commas, until the next scheme token.
    for (;;) {
      skip_space(s, i);
      std::size_t key_start = i;
      while (i < s.size() && is_token_char(s[i]) && s[i] != '=') ++i;
      std::size_t key_end = i;
      skip_space(s, i);
      if (key_end == key_start || i >= s.size() || s[i] != '=') {
        i = key_start;  // not a parameter: the next challenge starts here
        break;
      }
      ++i;  // '='
      skip_space(s, i);
      std::string value;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value += s[i++];
        }
        if (i < s.size()) ++i;  // closing quote
      } else {
        while (i < s.size() && s[i] != ',' && s[i] != ' ') value += s[i++];
      }
      ch.params[ascii_lower(std::string(s.substr(key_start, key_end - key_start)))] = value;
      skip_space(s, i);
      if (i < s.size() && s[i] == ',') ++i;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = value(c);
    require(v >= 0, "invalid base64 data");
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<Credentials> find_credentials(const std::string& registry_host) {
  const char* user = std::getenv("HEARTH_REGISTRY_USERNAME");
  const char* pass = std::getenv("HEARTH_REGISTRY_PASSWORD");
  if (user && *user) return Credentials{user, pass ? pass : "", "HEARTH_REGISTRY_USERNAME"};

  std::filesystem::path config;
  if (const char* dc = std::getenv("DOCKER_CONFIG"); dc && *dc) {
    config = std::filesystem::path(dc) / "config.json";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    config = std::filesystem::path(home) / ".docker" / "config.json";
  } else {
    return std::nullopt;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(config, ec)) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(read_small_file(config));
    auto auths = j.find("auths");
    if (auths == j.end() || !auths->is_object()) return std::nullopt;
    for (const auto& [key, entry] : auths->items()) {
      // Keys are "host", "host:port" or a URL ("https://index.docker.io/v1/").
      std::string host = key;
      if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
      host = host.substr(0, host.find('/'));
      if (ascii_lower(host) != registry_host || !entry.is_object()) continue;
      if (entry.contains("auth") && entry["auth"].is_string()) {
        std::string decoded = base64_decode(entry["auth"].get<std::string>());
        auto colon = decoded.find(':');
        if (colon == std::string::npos) continue;
        return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1), config.string()};
      }
      if (entry.contains("username") && entry.contains("password"))
        return Credentials{entry.value("username", ""), entry.value("password", ""), config.string()};
    }
  } catch (const std::exception&) {
    // A broken docker config is not Hearth's to report; behave as if absent.
  }
  return std::nullopt;
}

}  // namespace hearth::store
