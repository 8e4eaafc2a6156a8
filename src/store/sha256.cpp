#include "store/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <openssl/evp.h>

#include "util/error.h"

namespace hearth::store {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot start SHA-256");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_->md, data, size) != 1) throw Error("OpenSSL: SHA-256 update failed");
}

std::string Sha256::hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1 || len != 32) throw Error("OpenSSL: SHA-256 final failed");
  static const char* digits = "0123456789abcdef";
  std::string s(64, '0');
  for (unsigned i = 0; i < 32; ++i) {
    s[2 * i] = digits[out[i] >> 4];
    s[2 * i + 1] = digits[out[i] & 15];
  }
  return s;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

std::string sha256_file_hex(const std::string& path, std::uint64_t* bytes_read) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail("{}: read failed: {}", path, std::strerror(err));
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  if (bytes_read) *bytes_read = total;
  return h.hex();
}

bool is_valid_digest(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.substr(0, prefix.size()) != prefix) return false;
  for (char c : digest.substr(prefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void require_valid_digest(std::string_view digest) {
  if (!is_valid_digest(digest)) {
    std::string shown(digest.substr(0, 80));
    fail("invalid digest '{}' (expected sha256: and 64 lower-case hex digits)", shown);
  }
}

std::string digest_hex(std::string_view digest) {
  require_valid_digest(digest);
  return std::string(digest.substr(7));
}

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

std::string short_digest(std::string_view digest) {
  if (!is_valid_digest(digest)) return std::string(digest);
  return std::string(digest.substr(0, 7 + 12));
}

}  // namespace hearth::store
