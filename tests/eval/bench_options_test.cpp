// Bench argument validation and reading peak memory from /proc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "eval/bench_runner.h"
#include "eval/process_memory.h"
#include "util/error.h"

namespace hearth::eval {
namespace {

using ::testing::HasSubstr;

BenchOptions options(std::int64_t p, std::int64_t n, int reps = 3, int warmup = 1) {
  BenchOptions o;
  o.prompt_tokens = p;
  o.gen_tokens = n;
  o.repetitions = reps;
  o.warmup = warmup;
  return o;
}

std::string options_error(const BenchOptions& o, std::int64_t context_length = 4096) {
  try {
    validate_bench_options(o, context_length);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BenchOptions, DefaultsAndSkippingAreValid) {
  EXPECT_EQ(options_error({}), "");
  EXPECT_EQ(options_error(options(0, 128)), "");
  EXPECT_EQ(options_error(options(512, 0)), "");
}

TEST(BenchOptions, RejectsNothingToRunNegativeCountsAndTooLong) {
  EXPECT_THAT(options_error(options(0, 0)), HasSubstr("-p and -n are both 0"));
  EXPECT_THAT(options_error(options(-1, 128)), HasSubstr("-p must be >= 0"));
  EXPECT_THAT(options_error(options(512, -5)), HasSubstr("-n must be >= 0"));
  EXPECT_THAT(options_error(options(512, 128, 0)), HasSubstr("-r must be >= 1"));
  EXPECT_THAT(options_error(options(512, 128, 3, -1)), HasSubstr("--warmup must be >= 0"));
  EXPECT_THAT(options_error(options(8192, 128)), HasSubstr("-p 8192 exceeds the model's context length of 4096"));
  EXPECT_THAT(options_error(options(512, 5000)), HasSubstr("-n 5000 exceeds"));
  EXPECT_EQ(options_error(options(8192, 128), /*context_length=*/0), "");  // unknown context length
}

TEST(ProcessMemory, ParsesProcStatusFields) {
  const char* text =
      "Name:\tcat\nVmPeak:\t  9000 kB\nVmHWM:\t    1500 kB\nVmRSS:\t    1200 kB\n"
      "RssAnon:\t     200 kB\nRssFile:\t    1000 kB\nRssShmem:\t       0 kB\n";
  const ProcessMemory m = parse_proc_status(text);
  EXPECT_EQ(m.peak_rss_bytes, 1500 * 1024);
  EXPECT_EQ(m.rss_bytes, 1200 * 1024);
  EXPECT_EQ(m.rss_anon_bytes, 200 * 1024);
  EXPECT_EQ(m.rss_file_bytes, 1000 * 1024);
  EXPECT_EQ(parse_proc_status("Name:\tx\n").peak_rss_bytes, -1);
}

TEST(ProcessMemory, PeakGrowsWithTouchedMemory) {
  const ProcessMemory before = read_process_memory();
  ASSERT_GT(before.peak_rss_bytes, 0);
  std::vector<char> block(64 << 20, 1);  // touched: 64 MiB resident
  const ProcessMemory after = read_process_memory();
  EXPECT_GE(after.peak_rss_bytes, before.rss_bytes + (60 << 20)) << static_cast<int>(block[12345]);
  EXPECT_GE(after.peak_rss_bytes, after.rss_bytes);
}

}  // namespace
}  // namespace hearth::eval
