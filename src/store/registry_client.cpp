#include "store/registry_client.h"

#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "store/media_types.h"
#include "store/sha256.h"
#include "util/error.h"
#include "util/http_status.h"

namespace hearth::store {
namespace {

using nlohmann::json;

// The URL of a Link header's rel="next" target, resolved against `base`.
std::string next_link(const HttpResponse& r, const std::string& base) {
  std::string link = r.header("link");
  auto open = link.find('<');
  auto close = link.find('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  if (link.find("rel=\"next\"", close) == std::string::npos && link.find("rel=next", close) == std::string::npos)
    return {};
  return resolve_url(base, link.substr(open + 1, close - open - 1));
}

std::string one_line(std::string s, std::size_t max = 300) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max) + "…";
  return s;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  require(end && *end == '\0' && x >= 0 && x <= 1000000, "{}='{}' is not a non-negative integer", name, v);
  return static_cast<int>(x);
}

}  // namespace

RetryPolicy RetryPolicy::from_env() {
  RetryPolicy p;
  p.max_retries = env_int("HEARTH_PULL_RETRIES", p.max_retries);
  p.base = std::chrono::milliseconds(env_int("HEARTH_RETRY_BASE_MS", static_cast<int>(p.base.count())));
  return p;
}

std::chrono::milliseconds RetryPolicy::delay(int attempt, const std::string& retry_after) const {
  thread_local std::mt19937 rng{std::random_device{}()};
  double ms = static_cast<double>(base.count()) * static_cast<double>(1u << std::min(attempt, 16));
  ms = std::min(ms, static_cast<double>(cap.count()));
  ms *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);  // jitter: parallel parts don't retry in lockstep
  if (!retry_after.empty()) {
    char* end = nullptr;
    long secs = std::strtol(retry_after.c_str(), &end, 10);
    if (end && *end == '\0' && secs > 0) ms = std::max(ms, std::min<double>(secs * 1000.0, 300000.0));
  }
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

bool is_transient_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

RegistryClient::RegistryClient(std::string host, RegistryOptions options)
    : host_(std::move(host)), options_(std::move(options)), retry_(RetryPolicy::from_env()) {
  std::string scheme = options_.scheme.value_or(options_.insecure ? "http" : "https");
  require(scheme == "https" || options_.insecure, "refusing plain HTTP to registry {}: pass --insecure to allow it",
          host_);
  base_url_ = scheme + "://" + host_;
}

std::string RegistryClient::describe(const HttpResponse& r) {
  const std::string_view reason = http_status_text(r.status);
  std::string status = fmt::format("{}{}{}", r.status, reason.empty() ? "" : " ", reason);
  try {
    json j = json::parse(r.body);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      const json& e = j["errors"][0];
      std::string message = e.value("message", "");
      std::string code = e.value("code", "");
      if (message.empty()) message = code;
      if (!message.empty()) return fmt::format("{} ({})", one_line(message), status);
    }
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      return fmt::format("{} ({})", one_line(j["error"].get<std::string>()), status);
  } catch (const std::exception&) {
  }
  return status;
}

void RegistryClient::rethrow_transport(const TransportError& e) const {
  std::string msg = e.what();
  std::string hint;
  if (msg.find("SSL") != std::string::npos || msg.find("TLS") != std::string::npos ||
      msg.find("certificate") != std::string::npos)
    hint = options_.insecure ? "" : " (for a plain-HTTP or self-signed registry, pass --insecure)";
  throw TransportError(fmt::format("cannot reach registry {}: {}{}", host_, one_line(msg), hint), e.connect_failure());
}

std::optional<std::string> RegistryClient::authorization_for(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = tokens_.find(scope); it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
    return "Authorization: Bearer " + it->second.value;
  if (use_basic_ && credentials_)
    return "Authorization: Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
  return std::nullopt;
}

bool RegistryClient::answer_challenge(HttpClient& http, const HttpResponse& response, const std::string& scope) {
  std::vector<AuthChallenge> challenges;
  for (const auto& v : response.www_authenticate)
    for (auto& c : parse_www_authenticate(v)) challenges.push_back(std::move(c));
  std::optional<Credentials> creds;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!credentials_loaded_) {
      credentials_ = find_credentials(host_);
      credentials_loaded_ = true;
    }
    creds = credentials_;
  }
  auto credential_problem = [&]() -> std::string {
    if (creds)
      return fmt::format("registry {} rejected the credentials from {} (401 Unauthorized)", host_, creds->source);
    return fmt::format(
        "registry {} requires authentication (401 Unauthorized): set HEARTH_REGISTRY_USERNAME and "
        "HEARTH_REGISTRY_PASSWORD, or run `docker login {}`",
        host_, host_);
  };
  for (const auto& ch : challenges) {
    if (ch.scheme != "bearer") continue;
    std::string realm = ch.param("realm");
    require(!realm.empty(), "registry {} sent a Bearer challenge without a realm", host_);
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    bool first = true;
    auto add = [&](const std::string& k, const std::string& v) {
      if (v.empty()) return;
      url += (first ? "" : "&") + k + "=" + url_encode(v);
      first = false;
    };
    add("service", ch.param("service"));
    std::string challenge_scope = ch.param("scope");
    add("scope", scope);
    if (!challenge_scope.empty() && challenge_scope != scope) add("scope", challenge_scope);
    HttpRequest req;
    req.url = url;
    if (creds) req.headers.push_back("Authorization: Basic " + base64_encode(creds->username + ":" + creds->password));
    HttpResponse r;
    try {
      r = http.perform(req);
    } catch (const TransportError& e) {
      throw TransportError(fmt::format("cannot reach the token service of registry {}: {}", host_, one_line(e.what())),
                           e.connect_failure());
    }
    if (r.status == 401 || r.status == 403) throw Error(credential_problem());
    require(r.status == 200, "token service of registry {} answered {}", host_, describe(r));
    json j;
    try {
      j = json::parse(r.body);
    } catch (const json::exception&) {
      fail("token service of registry {} sent an invalid response", host_);
    }
    std::string token = j.value("token", j.value("access_token", ""));
    require(!token.empty(), "token service of registry {} sent no token", host_);
    long expires_in =
        j.contains("expires_in") && j["expires_in"].is_number_integer() ? j["expires_in"].get<long>() : 60;
    auto life = std::chrono::seconds(std::max(10L, expires_in - 10));
    std::lock_guard<std::mutex> lock(mutex_);
    tokens_[scope] = Token{token, std::chrono::steady_clock::now() + life};
    return true;
  }
  for (const auto& ch : challenges) {
    if (ch.scheme != "basic") continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!creds || use_basic_) throw Error(credential_problem());
    use_basic_ = true;
    return true;
  }
  throw Error(credential_problem());
}

HttpResponse RegistryClient::send(HttpClient& http, HttpRequest request, const std::string& scope) {
  std::vector<std::string> base_headers = request.headers;
  for (int attempt = 0;; ++attempt) {
    request.headers = base_headers;
    if (auto auth = authorization_for(scope)) request.headers.push_back(*auth);
    HttpResponse r = http.perform(request);
    if (r.status != 401) return r;
    if (attempt > 0) {
      std::optional<Credentials> creds;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        creds = credentials_;
      }
      if (creds) fail("registry {} rejected the credentials from {} ({})", host_, creds->source, describe(r));
      fail("registry {} refused access to {} ({})", host_, scope, describe(r));
    }
    answer_challenge(http, r, scope);
  }
}

HttpResponse RegistryClient::send_with_retries(HttpClient& http, const HttpRequest& request, const std::string& scope,
                                               bool retry_connect) {
  for (int attempt = 0;; ++attempt) {
    try {
      HttpResponse r = send(http, request, scope);
      if (!is_transient_status(r.status) || attempt >= retry_.max_retries) return r;
      auto d = retry_.delay(attempt, r.header("retry-after"));
      spdlog::info("{} answered {}; retrying in {} ms", host_, describe(r), d.count());
      std::this_thread::sleep_for(d);
    } catch (const TransportError& e) {
      if ((e.connect_failure() && !retry_connect) || attempt >= retry_.max_retries) rethrow_transport(e);
      auto d = retry_.delay(attempt);
      spdlog::info("{}; retrying in {} ms", e.what(), d.count());
      std::this_thread::sleep_for(d);
    }
  }
}

RegistryClient::FetchedManifest RegistryClient::get_manifest(HttpClient& http, const std::string& repo,
                                                             const std::string& reference) {
  HttpRequest req;
  req.url = fmt::format("{}/v2/{}/manifests/{}", base_url_, repo, reference);
  req.headers.push_back("Accept: " + std::string(media::kManifestAccept));
  HttpResponse r = send_with_retries(http, req, pull_scope(repo));
  bool by_digest = is_valid_digest(reference);
  std::string what = by_digest ? repo + "@" + reference : repo + ":" + reference;
  if (r.status == 404) fail("{} not found in registry {}: {}", what, host_, describe(r));
  if (r.status == 403) fail("registry {} denied access to {}: {}", host_, what, describe(r));
  require(r.status == 200, "registry {} answered {} for manifest {}", host_, describe(r), what);
  FetchedManifest m;
  m.bytes = std::move(r.body);
  m.content_type = r.header("content-type");
  m.digest = digest_of(m.bytes);
  if (by_digest)
    require(m.digest == reference, "manifest {} from registry {} has digest {}: refusing a tampered manifest", what,
            host_, m.digest);
  std::string reported = r.header("docker-content-digest");
  if (is_valid_digest(reported))
    require(reported == m.digest, "manifest {} from registry {} does not match its Docker-Content-Digest ({} vs {})",
            what, host_, short_digest(m.digest), short_digest(reported));
  return m;
}

std::string RegistryClient::put_manifest(HttpClient& http, const std::string& repo, const std::string& tag,
                                         const std::string& bytes, const std::string& media_type) {
  HttpRequest req;
  req.method = "PUT";
  req.url = fmt::format("{}/v2/{}/manifests/{}", base_url_, repo, tag);
  req.headers.push_back("Content-Type: " + media_type);
  req.body = bytes;
  HttpResponse r = send_with_retries(http, req, push_scope(repo));
  require(r.status == 201 || r.status == 200, "registry {} refused the manifest of {}:{}: {}", host_, repo, tag,
          describe(r));
  std::string digest = r.header("docker-content-digest");
  return is_valid_digest(digest) ? digest : digest_of(bytes);
}

bool RegistryClient::blob_exists(HttpClient& http, const std::string& repo, const Descriptor& blob) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = blob_url(repo, blob.digest);
  HttpResponse r = send_with_retries(http, req, push_scope(repo));
  if (r.status == 404) return false;
  require(r.status == 200, "registry {} answered {} for blob {}", host_, describe(r), short_digest(blob.digest));
  std::string len = r.header("content-length");
  return len.empty() || std::strtoull(len.c_str(), nullptr, 10) == blob.size;
}

void RegistryClient::upload_blob(HttpClient& http, const std::string& repo, const Descriptor& blob, int fd,
                                 std::uint64_t chunk_size, const std::function<void(std::uint64_t)>& progress) {
  const std::string scope = push_scope(repo);
  HttpRequest start;
  start.method = "POST";
  start.url = fmt::format("{}/v2/{}/blobs/uploads/", base_url_, repo);
  HttpResponse r = send_with_retries(http, start, scope);
  require(r.status == 202, "registry {} refused to start an upload to {}: {}", host_, repo, describe(r));
  std::string location = resolve_url(start.url, r.header("location"));
  require(!r.header("location").empty(), "registry {} started an upload without a Location", host_);

  std::uint64_t offset = 0;
  int failures = 0;
  while (offset < blob.size) {
    std::uint64_t n = std::min<std::uint64_t>(chunk_size, blob.size - offset);
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.headers = {"Content-Type: application/octet-stream",
                     fmt::format("Content-Range: {}-{}", offset, offset + n - 1), fmt::format("Content-Length: {}", n)};
    patch.upload_fd = fd;
    patch.upload_offset = offset;
    patch.upload_length = n;
    std::string problem;
    try {
      HttpResponse pr = send(http, patch, scope);
      if (pr.status == 202) {
        if (!pr.header("location").empty()) location = resolve_url(location, pr.header("location"));
        offset += n;
        failures = 0;
        if (progress) progress(offset);
        continue;
      }
      require(is_transient_status(pr.status) || pr.status == 416, "registry {} refused an upload chunk of {}: {}",
              host_, short_digest(blob.digest), describe(pr));
      problem = describe(pr);
    } catch (const TransportError& e) {
      problem = e.what();
    }
    // Ask the registry how much it kept and continue from there.
    require(++failures <= retry_.max_retries, "upload of blob {} to registry {} failed: {}", short_digest(blob.digest),
            host_, problem);
    std::this_thread::sleep_for(retry_.delay(failures - 1));
    HttpRequest status;
    status.url = location;
    HttpResponse sr = send_with_retries(http, status, scope, true);
    require(sr.status == 204, "upload of blob {} to registry {} was lost ({}): run push again",
            short_digest(blob.digest), host_, describe(sr));
    std::string range = sr.header("range");  // "0-1234"
    auto dash = range.find('-');
    offset = dash == std::string::npos ? 0 : std::strtoull(range.c_str() + dash + 1, nullptr, 10) + 1;
    if (!sr.header("location").empty()) location = resolve_url(location, sr.header("location"));
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_encode(blob.digest);
  put.headers = {"Content-Length: 0"};
  HttpResponse pr = send_with_retries(http, put, scope);
  if (pr.status == 400 && pr.body.find("DIGEST_INVALID") != std::string::npos)
    fail("registry {} refused blob {}: the uploaded bytes do not match the digest (local blob corrupt?)", host_,
         short_digest(blob.digest));
  require(pr.status == 201 || pr.status == 204, "registry {} refused blob {}: {}", host_, short_digest(blob.digest),
          describe(pr));
}

std::vector<std::string> RegistryClient::list_tags(HttpClient& http, const std::string& repo) {
  std::vector<std::string> tags;
  std::string url = fmt::format("{}/v2/{}/tags/list?n=1000", base_url_, repo);
  for (int page = 0; !url.empty() && page < 1000; ++page) {
    HttpRequest req;
    req.url = url;
    HttpResponse r = send_with_retries(http, req, pull_scope(repo));
    if (r.status == 404) fail("repository {} not found in registry {}: {}", repo, host_, describe(r));
    require(r.status == 200, "registry {} answered {} for the tags of {}", host_, describe(r), repo);
    try {
      json j = json::parse(r.body);
      if (j.contains("tags") && j["tags"].is_array())
        for (const auto& t : j["tags"])
          if (t.is_string()) tags.push_back(t.get<std::string>());
    } catch (const json::exception&) {
      fail("registry {} sent an invalid tag list for {}", host_, repo);
    }
    url = next_link(r, url);
  }
  return tags;
}

std::vector<std::string> RegistryClient::catalog(HttpClient& http) {
  std::vector<std::string> repos;
  std::string url = base_url_ + "/v2/_catalog?n=1000";
  for (int page = 0; !url.empty() && page < 1000; ++page) {
    HttpRequest req;
    req.url = url;
    HttpResponse r = send_with_retries(http, req, "registry:catalog:*");
    if (r.status == 404 || r.status == 405)
      fail("registry {} does not offer a catalog (/v2/_catalog answered {}); search needs one", host_, describe(r));
    require(r.status == 200, "registry {} answered {} for its catalog", host_, describe(r));
    try {
      json j = json::parse(r.body);
      if (j.contains("repositories") && j["repositories"].is_array())
        for (const auto& t : j["repositories"])
          if (t.is_string()) repos.push_back(t.get<std::string>());
    } catch (const json::exception&) {
      fail("registry {} sent an invalid catalog", host_);
    }
    url = next_link(r, url);
  }
  return repos;
}

std::string RegistryClient::blob_url(const std::string& repo, const std::string& digest) const {
  return fmt::format("{}/v2/{}/blobs/{}", base_url_, repo, digest);
}

}  // namespace hearth::store
