#pragma once
// SHA-256 through OpenSSL's EVP interface (uses SHA-NI / AVX2 where the CPU has them), and the
// "sha256:<64 hex>" digest strings of the OCI distribution API.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hearth::store {

// Incremental hasher: update() any number of times, then hex() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Lower-case hex of the 32-byte digest. REQUIRES: called once.
  std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);
// Streams a file through SHA-256 (never holds it in memory). Throws hearth::Error naming the path.
// `bytes_read`, when given, receives the number of bytes hashed.
std::string sha256_file_hex(const std::string& path, std::uint64_t* bytes_read = nullptr);

// "sha256:" + 64 lower-case hex digits.
bool is_valid_digest(std::string_view digest);
// Throws hearth::Error "invalid digest '...'" unless is_valid_digest().
void require_valid_digest(std::string_view digest);
// The hex part of a valid digest.
std::string digest_hex(std::string_view digest);
// "sha256:" + sha256_hex(bytes).
std::string digest_of(std::string_view bytes);
// "sha256:3f2a1b9c4d5e" (algorithm plus the first 12 hex digits), for messages and tables.
std::string short_digest(std::string_view digest);

}  // namespace hearth::store
