// Fuzz-style robustness: thousands of mutated versions of a valid GGUF (byte flips, truncations,
// huge counts and lengths) must each either load or throw hearth::Error, never crash, hang or
// throw anything else. Meant to run under ASan/UBSan (-DHEARTH_SANITIZE=ON). The seed is fixed
// so failures reproduce; HEARTH_FUZZ_ITERATIONS raises the number of random mutations.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "format/gguf_model_config.h"
#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/model_tensors.h"
#include "gguf_bytes.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth {
namespace {

using test::GgufBytes;
using test::TempDir;

// A small but complete qwen3 GGUF: every metadata type, nested arrays, a vocabulary, and tensors
// of several types, so mutations reach every part of the parser.
std::vector<std::uint8_t> make_seed_file(const std::filesystem::path& path) {
  {
    GgufWriter w(path.string());
    ModelConfig c;
    c.arch = "qwen3";
    c.vocab_size = 4;
    c.hidden_size = 32;
    c.n_layers = 1;
    c.n_heads = 2;
    c.n_kv_heads = 1;
    c.head_dim = 16;
    c.ffn_size = 32;
    c.context_length = 128;
    c.qk_norm = true;
    c.tie_word_embeddings = true;
    write_model_config(w, c);
    w.add_metadata("t.i8", GgufValue{GgufType::INT8, std::int64_t{-3}});
    w.add_metadata("t.u16", GgufValue{GgufType::UINT16, std::uint64_t{7}});
    w.add_metadata("t.f64", GgufValue::f64(0.5));
    w.add_metadata("t.u64", GgufValue::u64(9));
    w.add_metadata("t.nested", GgufValue::array(GgufType::ARRAY, {GgufValue::int32_array({1, 2}),
                                                                  GgufValue::string_array({"x", "yz"})}));
    w.add_metadata("tokenizer.ggml.tokens", GgufValue::string_array({"a", "b", "<|im_end|>", "[PAD3]"}));
    w.add_metadata("tokenizer.ggml.token_type", GgufValue::int32_array({1, 1, 3, 5}));
    w.add_metadata("tokenizer.ggml.eos_token_id", GgufValue::u32(2));
    w.add_metadata("general.sampling.temp", GgufValue::f32(0.7f));
    w.add_metadata("tokenizer.ggml.add_bos_token", GgufValue::boolean(false));
    for (const auto& t : expected_tensors(c)) {
      DType type = t.shape.size() == 1 ? DType::F32 : (t.name == "token_embd.weight" ? DType::Q8_0 : DType::F16);
      w.add_tensor(t.name, type, t.shape);
    }
    for (const auto& t : expected_tensors(c)) {
      DType type = t.shape.size() == 1 ? DType::F32 : (t.name == "token_embd.weight" ? DType::Q8_0 : DType::F16);
      std::int64_t n = 1;
      for (auto d : t.shape) n *= d;
      std::vector<std::uint8_t> data(static_cast<std::size_t>(row_bytes(type, t.shape.back()) * (n / t.shape.back())),
                                     0x11);
      w.write_tensor_data(data.data(), data.size());
    }
    w.finish();
  }
  return GgufBytes::read_bytes(path);
}

// An in-memory file with a path (/proc/self/fd/N): thousands of candidates without disk I/O.
class MemoryFile {
 public:
  MemoryFile() : fd_(::memfd_create("hearth-gguf-fuzz", MFD_CLOEXEC)) {}
  ~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  void set(const std::vector<std::uint8_t>& bytes) {
    ASSERT_EQ(::ftruncate(fd_, 0), 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      ASSERT_GT(n, 0);
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
};

enum class Outcome { Loaded, Refused };

// Loads one candidate; anything but success or hearth::Error fails the test.
Outcome try_load(MemoryFile& file_slot, const std::vector<std::uint8_t>& bytes, const std::string& what) {
  file_slot.set(bytes);
  const std::string path = file_slot.path();
  try {
    auto file = std::make_shared<const GgufFile>(path);
    const GgufFile& f = *file;
    // Touch what a loader touches: every tensor's first and last byte, and the model metadata.
    unsigned sum = 0;
    for (const auto& t : f.tensors()) {
      const auto* p = static_cast<const std::uint8_t*>(t.data);
      if (t.nbytes > 0) sum += p[0] + p[t.nbytes - 1];
      EXPECT_EQ(t.nbytes, row_bytes(t.dtype, t.row_length()) * t.rows()) << what;
    }
    (void)sum;
    try {
      ModelConfig c = model_config_from_gguf(f);
      generation_config_from_gguf(f);
      auto store = gguf_weight_store(file);
      check_weights(*store, c);
    } catch (const Error&) {
    }
    return Outcome::Loaded;
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << what << ": " << msg;
    return Outcome::Refused;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": unexpected exception " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": unexpected non-standard exception";
  }
  return Outcome::Refused;
}

class GgufFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mem_.ok()) << "memfd_create failed";
    seed_ = make_seed_file(dir_ / "seed.gguf");
    // The writer pads every tensor to 32 bytes, so the data section is the file's last
    // sum(aligned tensor sizes) bytes; everything before it is header, metadata and tensor infos.
    GgufFile f((dir_ / "seed.gguf").string());
    std::uint64_t data_bytes = 0;
    for (const auto& t : f.tensors()) data_bytes += (static_cast<std::uint64_t>(t.nbytes) + 31) / 32 * 32;
    header_end_ = seed_.size() - static_cast<std::size_t>(data_bytes);
    ASSERT_GT(header_end_, 100u);
    ASSERT_EQ(header_end_ % 32, 0u);
  }

  TempDir dir_;
  MemoryFile mem_;
  std::vector<std::uint8_t> seed_;
  std::size_t header_end_ = 0;
};

TEST_F(GgufFuzz, SeedLoads) { EXPECT_EQ(try_load(mem_, seed_, "seed"), Outcome::Loaded); }

TEST_F(GgufFuzz, TruncatedAtEveryHeaderOffset) {
  int refused = 0;
  for (std::size_t n = 0; n < header_end_ + 64 && n < seed_.size(); ++n) {
    std::vector<std::uint8_t> cut(seed_.begin(), seed_.begin() + static_cast<std::ptrdiff_t>(n));
    if (try_load(mem_, cut, "truncated to " + std::to_string(n)) == Outcome::Refused) ++refused;
  }
  // Every cut inside the header or the tensor data loses something the file announced.
  EXPECT_EQ(refused, static_cast<int>(std::min(header_end_ + 64, seed_.size())));
}

TEST_F(GgufFuzz, RandomByteFlips) {
  int iterations = 3000;
  if (const char* env = std::getenv("HEARTH_FUZZ_ITERATIONS")) iterations = std::max(1, std::atoi(env));
  std::mt19937_64 rng(20240611);
  int loaded = 0;
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::uint8_t> m = seed_;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      std::size_t pos = rng() % header_end_;
      switch (rng() % 3) {
        case 0:
          m[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          m[pos] = static_cast<std::uint8_t>(rng());
          break;
        default:
          m[pos] = (rng() % 2) ? 0xff : 0x00;
          break;
      }
    }
    if (rng() % 4 == 0) m.resize(rng() % m.size());
    if (try_load(mem_, m, "mutation " + std::to_string(i)) == Outcome::Loaded) ++loaded;
    if (HasFailure()) break;
  }
  // Flips inside string payloads (token text, template) keep the file valid: some must load.
  EXPECT_GT(loaded, 0);
}

TEST_F(GgufFuzz, HugeCountsAndLengthsAtEveryOffset) {
  // All ones, 2^60 and 2^32 - 1: past every bound, huge but not overflowing, and 32-bit maximum.
  const std::uint64_t values[] = {~std::uint64_t{0}, std::uint64_t{1} << 60, 0xffffffffu};
  for (std::size_t pos = 4; pos + 8 <= header_end_; ++pos) {
    for (std::uint64_t v : values) {
      std::vector<std::uint8_t> m = seed_;
      std::memcpy(m.data() + pos, &v, 8);
      try_load(mem_, m, "u64 " + std::to_string(v) + " at " + std::to_string(pos));
    }
    // And as a 32-bit value (types, dimension counts).
    std::vector<std::uint8_t> m = seed_;
    std::uint32_t v32 = 0xfffffff0u;
    std::memcpy(m.data() + pos, &v32, 4);
    try_load(mem_, m, "u32 at " + std::to_string(pos));
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace hearth
