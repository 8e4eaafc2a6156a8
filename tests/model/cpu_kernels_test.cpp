// CPU kernels: every table against double-precision sums and exact conversions, the canonical summation
// order that makes results batch-invariant, and the tables against each other.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/arena.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/moe.h"
#include "tensor/dtype.h"
#include "util/thread_pool.h"

namespace hearth::cpu {
namespace {

std::vector<float> random_floats(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

class KernelTableTest : public ::testing::TestWithParam<const Kernels*> {};

TEST_P(KernelTableTest, ConversionsAreExact) {
  const Kernels& k = *GetParam();
  std::vector<std::uint16_t> all(65536);
  for (std::uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<std::uint16_t>(i);
  std::vector<float> out(all.size());
  k.bf16_to_f32(all.data(), out.data(), static_cast<std::int64_t>(all.size()));
  for (std::uint32_t i = 0; i < 65536; ++i) {
    float want = bf16_to_f32(all[i]);
    ASSERT_TRUE(same_bits(out[i], want) || (std::isnan(want) && std::isnan(out[i]))) << "bf16 " << i;
  }
  k.f16_to_f32(all.data(), out.data(), static_cast<std::int64_t>(all.size()));
  for (std::uint32_t i = 0; i < 65536; ++i) {
    float want = f16_to_f32(all[i]);
    ASSERT_TRUE(same_bits(out[i], want) || (std::isnan(want) && std::isnan(out[i]))) << "f16 " << i;
  }
}

TEST_P(KernelTableTest, DotProductsAgreeWithDoubleSums) {
  const Kernels& k = *GetParam();
  for (std::int64_t n : {1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 257}) {
    auto a = random_floats(static_cast<std::size_t>(n), 1), b = random_floats(static_cast<std::size_t>(n), 2);
    double want = 0, mag = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      want += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(k.dot_f32(a.data(), b.data(), n), want, 1e-6 * mag + 1e-7) << "n " << n;
  }
}

// Every dot-like entry follows the canonical order, so results are identical bit for bit whichever entry
// (tile shape, fused 16-bit rows, single dot) computes an element.
TEST_P(KernelTableTest, CanonicalOrderIsSharedByAllEntries) {
  const Kernels& k = *GetParam();
  for (std::int64_t n : {5, 8, 13, 24, 67}) {
    auto x = random_floats(static_cast<std::size_t>(2 * n), 3);
    auto wf = random_floats(static_cast<std::size_t>(4 * n), 4);
    std::vector<std::uint16_t> wb(wf.size()), wh(wf.size());
    std::vector<float> wb_f(wf.size()), wh_f(wf.size());
    for (std::size_t i = 0; i < wf.size(); ++i) {
      wb[i] = f32_to_bf16(wf[i]);
      wh[i] = f32_to_f16(wf[i]);
      wb_f[i] = bf16_to_f32(wb[i]);
      wh_f[i] = f16_to_f32(wh[i]);
    }
    for (int mr = 1; mr <= 2; ++mr)
      for (int nr = 1; nr <= 4; ++nr) {
        float y[2 * 4];
        k.dot_tile_f32(x.data(), n, mr, wf.data(), n, nr, n, y, 4);
        for (int i = 0; i < mr; ++i)
          for (int j = 0; j < nr; ++j)
            ASSERT_TRUE(same_bits(y[i * 4 + j], k.dot_f32(x.data() + i * n, wf.data() + j * n, n)))
                << "n " << n << " tile " << mr << "x" << nr;
      }
    for (int nr = 1; nr <= 4; ++nr) {
      float yb[4], yh[4];
      k.dot_rows_bf16(x.data(), wb.data(), n, nr, n, yb);
      k.dot_rows_f16(x.data(), wh.data(), n, nr, n, yh);
      for (int j = 0; j < nr; ++j) {
        ASSERT_TRUE(same_bits(yb[j], k.dot_f32(x.data(), wb_f.data() + j * n, n))) << "bf16 n " << n;
        ASSERT_TRUE(same_bits(yh[j], k.dot_f32(x.data(), wh_f.data() + j * n, n))) << "f16 n " << n;
      }
    }
  }
}

TEST_P(KernelTableTest, Axpy) {
  const Kernels& k = *GetParam();
  auto x = random_floats(19, 5), y = random_floats(19, 6);
  auto want = y;
  for (int i = 0; i < 19; ++i) want[i] += 0.5f * x[i];
  k.axpy_f32(0.5f, x.data(), y.data(), 19);
  for (int i = 0; i < 19; ++i) EXPECT_NEAR(y[i], want[i], 1e-6);
}

// The KV cache's f32 -> f16 narrowing rounds to nearest even in every table, as the reference conversion does.
TEST_P(KernelTableTest, NarrowToF16MatchesTheReferenceConversion) {
  const Kernels& k = *GetParam();
  auto x = random_floats(37, 21);
  for (float& v : x) v *= 300.0f;  // spread across exponents
  x[0] = 1.0f + 0x1p-11f;          // a tie: rounds to even (1.0)
  x[1] = 1.0f + 3 * 0x1p-11f;      // a tie: rounds to even (1 + 2^-9)
  x[2] = 70000.0f;                 // overflows to infinity
  x[3] = 1e-6f;                    // a subnormal f16
  x[4] = -0.0f;
  std::vector<std::uint16_t> got(x.size());
  k.f32_to_f16(x.data(), got.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(got[i], f32_to_f16(x[i])) << "value " << x[i];
}

// weighted_rows_f32 is nv axpy_f32 calls per row, bit for bit (attention's result must not depend on which
// of the two paths, or how many query heads share a call, computed it), for widths with and without a tail.
TEST_P(KernelTableTest, WeightedRowsEqualAxpyCalls) {
  const Kernels& k = *GetParam();
  for (std::int64_t n : {8, 16, 19, 40, 128}) {
    for (int nr : {1, 2, 3, 4, 5, 8}) {
      const int nv = 13;
      const std::int64_t ldp = 17, ldv = n + 3, ldo = n + 5;
      const auto p = random_floats(static_cast<std::size_t>(nr * ldp), 11);
      const auto v = random_floats(static_cast<std::size_t>(nv * ldv), 12);
      auto o = random_floats(static_cast<std::size_t>(nr * ldo), 13);
      auto want = o;
      for (int r = 0; r < nr; ++r)
        for (int j = 0; j < nv; ++j) k.axpy_f32(p[r * ldp + j], v.data() + j * ldv, want.data() + r * ldo, n);
      k.weighted_rows_f32(p.data(), ldp, nr, v.data(), ldv, nv, n, o.data(), ldo);
      for (int r = 0; r < nr; ++r)
        for (std::int64_t i = 0; i < ldo; ++i)
          ASSERT_TRUE(same_bits(o[r * ldo + i], want[r * ldo + i])) << "n " << n << " nr " << nr << " r " << r << " i " << i;
    }
  }
}

// A row's product does not depend on how many other rows share the call (the decode path of 1-3 rows
// and the batched path give identical bits), for every weight type and thread split.
TEST_P(KernelTableTest, MatmulIsBatchInvariant) {
  const Kernels& k = *GetParam();
  ThreadPool pool(2);
  ThreadScratch scratch(pool.size());
  const std::int64_t n = 37, kdim = 45;
  auto wf = random_floats(static_cast<std::size_t>(n * kdim), 7);
  std::vector<std::uint16_t> w16(wf.size());
  for (DType type : {DType::F32, DType::BF16, DType::F16}) {
    Weight w{"w", type, n, kdim, nullptr};
    if (type == DType::F32) {
      w.data = wf.data();
    } else {
      for (std::size_t i = 0; i < wf.size(); ++i) w16[i] = type == DType::BF16 ? f32_to_bf16(wf[i]) : f32_to_f16(wf[i]);
      w.data = w16.data();
    }
    const std::int64_t m = 150;  // enough rows to split along m as well
    auto x = random_floats(static_cast<std::size_t>(m * kdim), 8);
    std::vector<float> all(static_cast<std::size_t>(m * n)), one(static_cast<std::size_t>(n));
    matmul(pool, scratch, k, x.data(), kdim, m, w, all.data(), n);
    for (std::int64_t r : {0, 1, 2, 77, 149}) {
      matmul(pool, scratch, k, x.data() + r * kdim, kdim, 1, w, one.data(), n);
      for (std::int64_t c = 0; c < n; ++c) ASSERT_TRUE(same_bits(one[c], all[r * n + c])) << "row " << r;
    }
    // And against double sums of the (rounded) weights.
    std::vector<float> wr(wf.size());
    for (std::size_t i = 0; i < wf.size(); ++i)
      wr[i] = type == DType::F32 ? wf[i] : type == DType::BF16 ? bf16_to_f32(w16[i]) : f16_to_f32(w16[i]);
    for (std::int64_t r = 0; r < m; r += 13)
      for (std::int64_t c = 0; c < n; ++c) {
        double s = 0;
        for (std::int64_t i = 0; i < kdim; ++i) s += static_cast<double>(x[r * kdim + i]) * wr[c * kdim + i];
        ASSERT_NEAR(all[r * n + c], s, 1e-4);
      }
  }
}

std::vector<const Kernels*> tables() {
  auto t = available_kernels();
  return {t.begin(), t.end()};
}

INSTANTIATE_TEST_SUITE_P(Tables, KernelTableTest, ::testing::ValuesIn(tables()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST(KernelTables, AgreeWithEachOther) {
  auto t = available_kernels();
  if (t.size() < 2) GTEST_SKIP() << "only the generic kernels run on this CPU";
  auto a = random_floats(1000, 9), b = random_floats(1000, 10);
  for (std::size_t i = 1; i < t.size(); ++i)
    EXPECT_NEAR(t[i]->dot_f32(a.data(), b.data(), 1000), t[0]->dot_f32(a.data(), b.data(), 1000), 1e-3);
}

TEST(MoeRouting, SoftmaxTopKAndRenormalisation) {
  // probabilities 0.1, 0.2, 0.4, 0.3
  const float logits[4] = {std::log(0.1f), std::log(0.2f), std::log(0.4f), std::log(0.3f)};
  Route r[2];
  route_token(logits, 4, MoeParams{2, true}, r);
  EXPECT_EQ(r[0].expert, 2);  // ascending expert order
  EXPECT_EQ(r[1].expert, 3);
  EXPECT_NEAR(r[0].weight, 0.4 / 0.7, 1e-6);
  EXPECT_NEAR(r[1].weight, 0.3 / 0.7, 1e-6);
  route_token(logits, 4, MoeParams{2, false}, r);
  EXPECT_NEAR(r[0].weight, 0.4, 1e-6);
  EXPECT_NEAR(r[1].weight, 0.3, 1e-6);
  const float tied[3] = {1.0f, 1.0f, 1.0f};
  route_token(tied, 3, MoeParams{1, true}, r);
  EXPECT_EQ(r[0].expert, 0);
  EXPECT_NEAR(r[0].weight, 1.0, 1e-6);
}

}  // namespace
}  // namespace hearth::cpu
