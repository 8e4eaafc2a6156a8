#pragma once
// Client for the OCI distribution API (Docker Registry HTTP API v2), the protocol of Docker, OCI and
// Ollama registries: manifests, blobs, uploads, tags and the catalog, with authentication (Bearer
// token service or Basic, answering WWW-Authenticate challenges), retries with exponential backoff
// for transient failures, and one-line errors built from the registry's error documents.
//
// Thread safety: the authentication state (tokens) is shared and locked; every thread passes its
// own HttpClient.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/http_client.h"
#include "store/manifest.h"
#include "store/registry_auth.h"

namespace hearth::store {

struct RegistryOptions {
  bool insecure = false;              // plain HTTP allowed (and TLS not verified for https://)
  std::optional<std::string> scheme;  // "http" | "https" when the user gave one
};

// Transient-failure policy: attempts and backoff. HEARTH_PULL_RETRIES (attempts after the first,
// default 5) and HEARTH_RETRY_BASE_MS (first delay, default 500) override the defaults.
struct RetryPolicy {
  int max_retries = 5;
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30000};
  static RetryPolicy from_env();
  // Delay before retry number `attempt` (0-based): base * 2^attempt with jitter, at most `cap`;
  // a server's Retry-After (seconds) wins when larger.
  std::chrono::milliseconds delay(int attempt, const std::string& retry_after = {}) const;
};

// True for HTTP statuses worth retrying (408, 429, 5xx except 501/505).
bool is_transient_status(long status);

class RegistryClient {
 public:
  RegistryClient(std::string host, RegistryOptions options);

  const std::string& host() const { return host_; }
  const std::string& base_url() const { return base_url_; }
  // False with --insecure: HttpClients for this registry accept any certificate.
  bool verify_tls() const { return !options_.insecure; }

  struct FetchedManifest {
    std::string bytes;
    std::string content_type;
    std::string digest;  // sha256 of bytes (checked against the requested digest / Docker-Content-Digest)
  };
  // GET /v2/<repo>/manifests/<tag or digest>. Throws hearth::Error: "<repo>:<tag> not found in <host>".
  FetchedManifest get_manifest(HttpClient& http, const std::string& repo, const std::string& reference);
  // PUT /v2/<repo>/manifests/<tag>. Returns the digest the registry reports.
  std::string put_manifest(HttpClient& http, const std::string& repo, const std::string& tag, const std::string& bytes,
                           const std::string& media_type);

  // HEAD /v2/<repo>/blobs/<digest>: true when the registry has it (with the right size when known).
  bool blob_exists(HttpClient& http, const std::string& repo, const Descriptor& blob);
  // Uploads `size` bytes of `fd` as a blob: POST an upload session, PATCH chunks of `chunk_size`
  // (with Content-Range), then PUT ?digest= (the registry verifies the digest). `progress` gets
  // bytes sent so far. A chunk that fails is resumed from the offset the registry reports.
  void upload_blob(HttpClient& http, const std::string& repo, const Descriptor& blob, int fd, std::uint64_t chunk_size,
                   const std::function<void(std::uint64_t)>& progress);

  // Tags of a repository and the repositories of the registry (following Link pagination).
  std::vector<std::string> list_tags(HttpClient& http, const std::string& repo);
  std::vector<std::string> catalog(HttpClient& http);

  // URL of a blob, for the downloader's ranged GETs.
  std::string blob_url(const std::string& repo, const std::string& digest) const;

  // Sends `request` (URL already absolute), adding credentials for `scope` and answering one 401
  // challenge. Does not retry: callers that stream use their own retry loop. Throws on 401 that
  // persists (one-line message about credentials).
  HttpResponse send(HttpClient& http, HttpRequest request, const std::string& scope);
  // send() plus retries of transient failures per `policy`; connection failures are retried only
  // when `retry_connect` (a registry that answered before, e.g. mid-download).
  HttpResponse send_with_retries(HttpClient& http, const HttpRequest& request, const std::string& scope,
                                 bool retry_connect = false);

  // A one-line description of an error response: "manifest unknown (404 Not Found)".
  static std::string describe(const HttpResponse& response);
  // Rewrites transport errors into messages that name the registry and a likely fix.
  [[noreturn]] void rethrow_transport(const TransportError& e) const;

  static std::string pull_scope(const std::string& repo) { return "repository:" + repo + ":pull"; }
  static std::string push_scope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

 private:
  std::optional<std::string> authorization_for(const std::string& scope);
  // Answers a 401: fetches a bearer token or switches to Basic. False when nothing more can be tried.
  bool answer_challenge(HttpClient& http, const HttpResponse& response, const std::string& scope);

  std::string host_;
  std::string base_url_;
  RegistryOptions options_;
  RetryPolicy retry_;

  std::mutex mutex_;
  std::optional<Credentials> credentials_;
  bool credentials_loaded_ = false;
  bool use_basic_ = false;
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;  // by scope
};

}  // namespace hearth::store
