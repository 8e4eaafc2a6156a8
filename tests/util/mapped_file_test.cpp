#include "util/mapped_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"
#include "util/error.h"

namespace hearth {
namespace {

TEST(MappedFile, MapsContents) {
  test::TempDir dir;
  auto p = dir / "a.bin";
  std::ofstream(p, std::ios::binary) << "hello";
  MappedFile f(p.string());
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), 5), "hello");
  MappedFile moved(std::move(f));
  EXPECT_EQ(moved.size(), 5u);
  EXPECT_EQ(f.size(), 0u);
}

TEST(MappedFile, MissingFileNamesThePath) {
  try {
    MappedFile f("/nonexistent/x.gguf");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.gguf"), std::string::npos);
  }
}

TEST(MappedFile, DirectoryIsRejected) {
  test::TempDir dir;
  EXPECT_THROW(MappedFile(dir.path().string()), Error);
}

TEST(MappedFile, EmptyFileHasNoData) {
  test::TempDir dir;
  auto p = dir / "empty";
  std::ofstream(p).close();
  MappedFile f(p.string());
  EXPECT_EQ(f.size(), 0u);
}

}  // namespace
}  // namespace hearth
