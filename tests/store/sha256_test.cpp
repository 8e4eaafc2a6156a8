// SHA-256 against the FIPS 180-2 example vectors and coreutils' sha256sum.
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "store/sha256.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::store {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalUpdatesEqualOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 31 + 7);
  Sha256 h;
  for (std::size_t pos = 0, step = 1; pos < data.size(); pos += step, step = step * 3 % 1000 + 1)
    h.update(std::string_view(data).substr(pos, step));
  EXPECT_EQ(h.hex(), sha256_hex(data));
}

TEST(Sha256, FileHashMatchesCoreutils) {
  test::TempDir tmp;
  std::string path = (tmp / "blob").string();
  {
    std::ofstream out(path, std::ios::binary);
    for (unsigned i = 0; i < 3u * 1024 * 1024 + 17; ++i) out.put(static_cast<char>((i * 7919u) >> 3));
  }
  std::uint64_t n = 0;
  std::string hex = sha256_file_hex(path, &n);
  EXPECT_EQ(n, 3u * 1024 * 1024 + 17);
  // Ground truth from an independent implementation.
  FILE* p = ::popen(("sha256sum " + test::shell_quote(path)).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[65] = {0};
  ASSERT_EQ(std::fread(buf, 1, 64, p), 64u);
  ::pclose(p);
  EXPECT_EQ(hex, std::string(buf, 64));
}

TEST(Sha256, MissingFileIsAnError) { EXPECT_THROW(sha256_file_hex("/nonexistent/blob"), Error); }

TEST(Digest, Validation) {
  std::string good = "sha256:" + std::string(64, 'a');
  EXPECT_TRUE(is_valid_digest(good));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(64, 'A')));  // upper case is not canonical
  EXPECT_FALSE(is_valid_digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(63, 'a') + "g"));
  EXPECT_FALSE(is_valid_digest("sha256:../../" + std::string(58, 'a')));
  EXPECT_EQ(digest_hex(good), std::string(64, 'a'));
  EXPECT_THROW(digest_hex("sha256:xyz"), Error);
  EXPECT_EQ(digest_of("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(short_digest(good), "sha256:aaaaaaaaaaaa");
}

}  // namespace
}  // namespace hearth::store
