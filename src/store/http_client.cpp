#include "store/http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <mutex>

#include <curl/curl.h>
#include <fmt/format.h>

namespace hearth::store {
namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxDocument = 16 << 20;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  long current_status = 0;
  std::exception_ptr sink_error;
  bool sink_stopped = false;
  bool headers_reported = false;
  std::uint64_t uploaded = 0;
};

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
    t->response->headers.clear();
    t->response->www_authenticate.clear();
    auto sp = line.find(' ');
    t->current_status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
    return size * n;
  }
  if (line == "\r\n" || line == "\n") {
    // End of a response's headers: for a 2xx response, let the caller inspect them before the body.
    bool success = t->current_status >= 200 && t->current_status < 300;
    if (success && t->request->on_headers && !t->headers_reported) {
      t->headers_reported = true;
      try {
        if (!t->request->on_headers(*t->response, t->current_status)) {
          t->sink_stopped = true;
          return 0;
        }
      } catch (...) {
        t->sink_error = std::current_exception();
        return 0;
      }
    }
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = trim(line.substr(colon + 1));
  if (name == "www-authenticate") t->response->www_authenticate.push_back(value);
  t->response->headers[name] = value;
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  bool success = t->current_status >= 200 && t->current_status < 300;
  if (success && t->request->sink) {
    try {
      if (!t->request->sink(data, bytes)) {
        t->sink_stopped = true;
        return 0;  // aborts with CURLE_WRITE_ERROR
      }
    } catch (...) {
      t->sink_error = std::current_exception();
      return 0;
    }
    return bytes;
  }
  std::string& body = t->response->body;
  if (success) {
    // Bodies kept in memory are documents (manifests, tokens, tag lists), never blobs.
    if (body.size() + bytes > kMaxDocument) {
      t->sink_error = std::make_exception_ptr(
          Error(fmt::format("{}: response larger than {} MiB", url_host(t->request->url), kMaxDocument >> 20)));
      return 0;
    }
    body.append(data, bytes);
  } else if (body.size() < kMaxErrorBody) {
    body.append(data, std::min(bytes, kMaxErrorBody - body.size()));
  }
  return bytes;
}

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const HttpRequest& r = *t->request;
  std::uint64_t total = r.upload_fd >= 0 ? r.upload_length : r.body.size();
  std::uint64_t left = total - t->uploaded;
  size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, size * n));
  if (want == 0) return 0;
  if (r.upload_fd >= 0) {
    ssize_t got = ::pread(r.upload_fd, buffer, want, static_cast<off_t>(r.upload_offset + t->uploaded));
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->uploaded += static_cast<std::uint64_t>(got);
    return static_cast<size_t>(got);
  }
  std::memcpy(buffer, r.body.data() + t->uploaded, want);
  t->uploaded += want;
  return want;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->request->cancelled && t->request->cancelled() ? 1 : 0;
}

}  // namespace

HttpClient::HttpClient(bool verify_tls) : verify_tls_(verify_tls) {
  global_init();
  curl_ = curl_easy_init();
  if (!curl_) throw Error("libcurl: cannot create a handle");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::perform(const HttpRequest& request) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpResponse response;
  Transfer t;
  t.request = &request;
  t.response = &response;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hearth/0.1.0");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify_tls_ ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify_tls_ ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

  bool has_body = request.upload_fd >= 0 || !request.body.empty();
  std::uint64_t body_size = request.upload_fd >= 0 ? request.upload_length : request.body.size();
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    // PUT / POST / PATCH with a streamed body (possibly empty).
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(has_body ? body_size : 0));
  }
  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  // libcurl adds "Expect: 100-continue" to uploads; registries answer it, proxies often stall.
  if (request.method != "GET" && request.method != "HEAD") headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (t.sink_error) std::rethrow_exception(t.sink_error);
  if (rc == CURLE_ABORTED_BY_CALLBACK && !t.sink_stopped) throw Error("cancelled");
  if ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_RECV_ERROR) && t.sink_stopped)
    throw Error("cancelled");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);
    bool connect = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY;
    throw TransportError(fmt::format("{}: {}", url_host(request.url), detail), connect);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  char* eff = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
  if (eff) response.effective_url = eff;
  return response;
}

std::string url_host(const std::string& url) {
  auto start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string url_encode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  auto scheme_end = base.find("://");
  std::size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  std::size_t path_start = base.find('/', host_start);
  std::string origin = base.substr(0, path_start);
  if (!location.empty() && location[0] == '/') return origin + location;
  // Relative to the base path's folder.
  std::string path = path_start == std::string::npos ? "/" : base.substr(path_start);
  path = path.substr(0, path.find('?'));
  path = path.substr(0, path.rfind('/') + 1);
  return origin + path + location;
}

}  // namespace hearth::store
