// The CPU backend with quantized weights (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K): matmul, embed and MoE against
// references computed in double precision from the dequantized weights (quant::dequantize_row, itself tested
// against an independent decoding of the ggml layouts in tests/quant), batch invariance, and the scalar and
// SIMD kernel variants against each other.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "quant/quant.h"
#include "tensor/tensor_view.h"
#include "util/error.h"

namespace hearth::cpu {
namespace {

const DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::vector<float> gaussian(std::int64_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// A weight matrix stored as `type`, with its exact f32 decoding.
struct QuantMatrix {
  DType type;
  std::int64_t rows, cols;
  std::vector<std::uint8_t> bytes;
  std::vector<float> decoded;

  QuantMatrix(DType t, std::int64_t r, std::int64_t c, std::uint32_t seed) : type(t), rows(r), cols(c) {
    const auto f = gaussian(r * c, seed, 0.05f);
    const std::size_t rb = static_cast<std::size_t>(row_bytes(t, c));
    bytes.resize(rb * static_cast<std::size_t>(r));
    decoded.resize(f.size());
    for (std::int64_t i = 0; i < r; ++i) {
      quant::quantize_row(t, f.data() + i * c, bytes.data() + i * rb, c);
      quant::dequantize_row(t, bytes.data() + i * rb, decoded.data() + i * c, c);
    }
  }
  TensorView view(const std::string& name) const {
    TensorView v;
    v.name = name;
    v.dtype = type;
    v.shape = {rows, cols};
    v.data = bytes.data();
    v.nbytes = static_cast<std::int64_t>(bytes.size());
    return v;
  }
  TensorView f32_view(const std::string& name) const {
    TensorView v;
    v.name = name;
    v.dtype = DType::F32;
    v.shape = {rows, cols};
    v.data = decoded.data();
    v.nbytes = static_cast<std::int64_t>(decoded.size() * sizeof(float));
    return v;
  }
};

// What the kernels compute for one activation row: the row quantized to the weight type's activation format.
std::vector<float> quantized_activation(DType weight_type, const float* x, std::int64_t k) {
  const DType act = quant::traits(weight_type, quant::CpuVariant::kScalar).vec_dot_type;
  std::vector<std::uint8_t> q(static_cast<std::size_t>(row_bytes(act, k)));
  quant::quantize_row(act, x, q.data(), k);
  std::vector<float> out(static_cast<std::size_t>(k));
  quant::dequantize_row(act, q.data(), out.data(), k);
  return out;
}

Tensor as_tensor(std::vector<float>& v, std::int64_t rows, std::int64_t cols) { return Tensor{rows, cols, v.data()}; }

std::vector<float> run_matmul(CpuBackend& b, const Weight& w, std::vector<float> x, std::int64_t m) {
  ForwardPlan plan;
  b.begin_forward(plan);
  Tensor xt = as_tensor(x, m, w.cols);
  Tensor y = b.matmul(xt, w, Weight{});
  std::vector<float> out(static_cast<std::size_t>(m * w.rows));
  b.read(y, out.data());
  return out;
}

class QuantBackendTest : public ::testing::TestWithParam<DType> {};

// Every output equals the double-precision dot of the decoded weight row and the decoded 8-bit activation row
// (up to f32 rounding), and stays close to the product with unquantized f32 activations.
TEST_P(QuantBackendTest, MatmulMatchesDequantizedReference) {
  const DType type = GetParam();
  const std::int64_t k = 512, n = 75;  // 75 rows: partial row tiles and tasks
  QuantMatrix wm(type, n, k, 7);
  CpuBackend backend(2);
  const Weight w = backend.bind(wm.view("w"));
  for (std::int64_t m : {1, 3, 17}) {
    const auto x = gaussian(m * k, 100 + static_cast<std::uint32_t>(m));
    const auto y = run_matmul(backend, w, x, m);
    for (std::int64_t t = 0; t < m; ++t) {
      const auto xq = quantized_activation(type, x.data() + t * k, k);
      double max_ref = 0, max_err_f32 = 0;
      for (std::int64_t r = 0; r < n; ++r) {
        double exact = 0, magnitude = 0, with_f32 = 0;
        for (std::int64_t i = 0; i < k; ++i) {
          const double wv = wm.decoded[r * k + i];
          exact += wv * xq[i];
          magnitude += std::fabs(wv * xq[i]);
          with_f32 += wv * x[t * k + i];
        }
        const double got = y[t * n + r];
        ASSERT_NEAR(got, exact, 1e-5 * magnitude + 1e-6) << dtype_name(type) << " m=" << m << " t=" << t << " r=" << r;
        max_ref = std::max(max_ref, std::fabs(with_f32));
        max_err_f32 = std::max(max_err_f32, std::fabs(got - with_f32));
      }
      EXPECT_LT(max_err_f32, 2e-2 * max_ref) << dtype_name(type) << " vs f32 activations, m=" << m;
    }
  }
}

// A token's outputs are bit-identical alone and in any batch, on the threaded paths too.
TEST_P(QuantBackendTest, MatmulIsBatchInvariant) {
  const DType type = GetParam();
  const std::int64_t k = 1024, n = 520, m = 37;
  QuantMatrix wm(type, n, k, 11);
  CpuBackend backend(2);
  const Weight w = backend.bind(wm.view("w"));
  const auto x = gaussian(m * k, 12);
  const auto batch = run_matmul(backend, w, x, m);
  for (std::int64_t t : {0, 5, 36}) {
    const std::vector<float> one(x.begin() + t * k, x.begin() + (t + 1) * k);
    const auto alone = run_matmul(backend, w, one, 1);
    for (std::int64_t r = 0; r < n; ++r)
      ASSERT_EQ(alone[r], batch[t * n + r]) << dtype_name(type) << " token " << t << " row " << r;
  }
}

// The scalar kernels and the best SIMD kernels of this CPU agree to f32 rounding through the backend.
TEST_P(QuantBackendTest, ScalarAndSimdVariantsAgree) {
  const DType type = GetParam();
  const auto variants = quant::available_variants();
  if (variants.size() < 2) GTEST_SKIP() << "only the scalar kernels run on this CPU";
  const std::int64_t k = 768, n = 64, m = 6;
  QuantMatrix wm(type, n, k, 13);
  CpuBackend backend(2);
  const Weight w = backend.bind(wm.view("w"));
  const auto x = gaussian(m * k, 14);
  const quant::CpuVariant before = quant::active_variant();
  quant::set_active_variant(quant::CpuVariant::kScalar);
  const auto scalar = run_matmul(backend, w, x, m);
  for (quant::CpuVariant v : variants) {
    quant::set_active_variant(v);
    const auto simd = run_matmul(backend, w, x, m);
    for (std::int64_t t = 0; t < m; ++t) {
      double magnitude = 0;
      for (std::int64_t r = 0; r < n; ++r) magnitude = std::max(magnitude, std::fabs(double{scalar[t * n + r]}));
      for (std::int64_t r = 0; r < n; ++r)
        ASSERT_NEAR(simd[t * n + r], scalar[t * n + r], 1e-5 * magnitude)
            << dtype_name(type) << " " << quant::variant_name(v) << " t=" << t << " r=" << r;
    }
  }
  quant::set_active_variant(before);
}

// Embedding rows of a quantized table are its decoded rows, exactly.
TEST_P(QuantBackendTest, EmbedDecodesRows) {
  const DType type = GetParam();
  QuantMatrix table(type, 50, 256, 17);
  CpuBackend backend(1);
  const Weight w = backend.bind(table.view("token_embd.weight"));
  ForwardPlan plan;
  plan.tokens = {3, 0, 49, 3};
  backend.begin_forward(plan);
  Tensor e = backend.embed(w);
  std::vector<float> out(static_cast<std::size_t>(e.rows * e.cols));
  backend.read(e, out.data());
  for (std::size_t t = 0; t < plan.tokens.size(); ++t)
    for (std::int64_t i = 0; i < 256; ++i)
      ASSERT_EQ(out[t * 256 + i], table.decoded[plan.tokens[t] * 256 + i]) << "token " << t << " col " << i;
}

INSTANTIATE_TEST_SUITE_P(Types, QuantBackendTest, ::testing::ValuesIn(kTypes),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// A small MoE layer with quantized experts.
struct MoeFixture {
  static constexpr std::int64_t kHidden = 256, kFfn = 512, kExperts = 8;
  QuantMatrix router_m{DType::Q8_0, kExperts, kHidden, 1};  // only its decoded values are used (f32 router)
  std::vector<QuantMatrix> gate, up, down;
  MoeFixture(DType gate_up_type, DType down_type) {
    for (std::int64_t e = 0; e < kExperts; ++e) {
      gate.emplace_back(gate_up_type, kFfn, kHidden, 200 + static_cast<std::uint32_t>(e));
      up.emplace_back(gate_up_type, kFfn, kHidden, 300 + static_cast<std::uint32_t>(e));
      down.emplace_back(down_type, kHidden, kFfn, 400 + static_cast<std::uint32_t>(e));
    }
    for (auto& v : router_m.decoded) v *= 40.0f;  // spread the routing probabilities
  }
  ExpertWeights bind(CpuBackend& b, bool as_f32) const {
    ExpertWeights w;
    for (std::int64_t e = 0; e < kExperts; ++e) {
      w.gate.push_back(b.bind(as_f32 ? gate[e].f32_view("g") : gate[e].view("g")));
      w.up.push_back(b.bind(as_f32 ? up[e].f32_view("u") : up[e].view("u")));
      w.down.push_back(b.bind(as_f32 ? down[e].f32_view("d") : down[e].view("d")));
    }
    return w;
  }
};

std::vector<float> run_moe(CpuBackend& b, const Weight& router, const ExpertWeights& experts, std::vector<float> x,
                           std::int64_t m) {
  ForwardPlan plan;
  b.begin_forward(plan);
  Tensor xt = as_tensor(x, m, MoeFixture::kHidden);
  Tensor y = b.moe(xt, router, experts, MoeParams{2, true});
  std::vector<float> out(static_cast<std::size_t>(m * MoeFixture::kHidden));
  b.read(y, out.data());
  return out;
}

class QuantMoeTest : public ::testing::TestWithParam<std::pair<DType, DType>> {};

// Quantized experts give the f32 computation on the decoded experts up to the 8-bit activation rounding, and a
// token's output is bit-identical alone and in a batch (where experts are shared between tokens).
TEST_P(QuantMoeTest, MatchesDequantizedExpertsAndIsBatchInvariant) {
  const auto [gate_up_type, down_type] = GetParam();
  MoeFixture f(gate_up_type, down_type);
  CpuBackend backend(2);
  const Weight router = backend.bind(f.router_m.f32_view("router"));
  const ExpertWeights quantized = f.bind(backend, false);
  const ExpertWeights reference = f.bind(backend, true);
  const std::int64_t m = 24;
  const auto x = gaussian(m * MoeFixture::kHidden, 5);
  const auto got = run_moe(backend, router, quantized, x, m);
  const auto want = run_moe(backend, router, reference, x, m);
  for (std::int64_t t = 0; t < m; ++t) {
    double max_ref = 0, max_err = 0;
    for (std::int64_t i = 0; i < MoeFixture::kHidden; ++i) {
      max_ref = std::max(max_ref, std::fabs(double{want[t * MoeFixture::kHidden + i]}));
      max_err =
          std::max(max_err, std::fabs(double{got[t * MoeFixture::kHidden + i]} - want[t * MoeFixture::kHidden + i]));
    }
    // Two 8-bit roundings (gate/up input, down input) stack up to ~3.5 % on a few tokens; a wrong block decode or
    // routing gives errors of the order of max_ref.
    EXPECT_LT(max_err, 5e-2 * max_ref) << "token " << t;
  }
  for (std::int64_t t : {0, 7, 23}) {
    const std::vector<float> one(x.begin() + t * MoeFixture::kHidden, x.begin() + (t + 1) * MoeFixture::kHidden);
    const auto alone = run_moe(backend, router, quantized, one, 1);
    for (std::int64_t i = 0; i < MoeFixture::kHidden; ++i)
      ASSERT_EQ(alone[i], got[t * MoeFixture::kHidden + i]) << "token " << t << " col " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Mixtures, QuantMoeTest,
                         ::testing::Values(std::pair{DType::Q8_0, DType::Q8_0}, std::pair{DType::Q4_K, DType::Q6_K},
                                           std::pair{DType::Q5_K, DType::Q5_K}, std::pair{DType::Q4_0, DType::Q4_0}),
                         [](const auto& info) {
                           return std::string(dtype_name(info.param.first)) + "_" +
                                  std::string(dtype_name(info.param.second));
                         });

TEST(QuantBackend, BindRefusesUnsupportedTypesAndPartialBlocks) {
  CpuBackend backend(1);
  std::vector<std::uint8_t> bytes(4096);
  TensorView v;
  v.name = "blk.0.attn_q.weight";
  v.dtype = DType::Q2_K;
  v.shape = {2, 256};
  v.data = bytes.data();
  v.nbytes = static_cast<std::int64_t>(bytes.size());
  try {
    backend.bind(v);
    FAIL() << "q2_K was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q2_K"), std::string::npos) << e.what();
  }
  v.dtype = DType::Q4_K;
  v.shape = {2, 96};  // not whole 256-element super-blocks
  EXPECT_THROW(backend.bind(v), Error);
  v.shape = {2, 512};
  EXPECT_EQ(backend.bind(v).dtype, DType::Q4_K);
}

}  // namespace
}  // namespace hearth::cpu
