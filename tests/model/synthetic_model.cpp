#include "synthetic_model.h"

#include "tensor/dtype.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace hearth::test {
namespace {

using Vec = std::vector<double>;

const SyntheticTensor& at(const std::map<std::string, SyntheticTensor>& t, const std::string& name) {
  return t.at(name);
}

std::string blk(std::int64_t l, const char* s) { return "blk." + std::to_string(l) + "." + s; }

// y = W x (+ b) for W {out, in} (optionally the `slice`-th of a stacked tensor).
Vec linear(const SyntheticTensor& w, const Vec& x, std::int64_t slice = -1, const SyntheticTensor* b = nullptr) {
  const std::int64_t out = w.shape[w.shape.size() - 2], in = w.shape.back();
  const std::size_t base = slice < 0 ? 0 : static_cast<std::size_t>(slice * out * in);
  Vec y(static_cast<std::size_t>(out), 0.0);
  for (std::int64_t o = 0; o < out; ++o) {
    double s = 0;
    for (std::int64_t i = 0; i < in; ++i) s += static_cast<double>(w.values[base + o * in + i]) * x[i];
    y[o] = s + (b ? b->values[o] : 0.0);
  }
  return y;
}

// RMSNorm of x[off, off + n) with weight w.
void rms_norm(Vec& x, std::size_t off, std::size_t n, const SyntheticTensor& w, double eps) {
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += x[off + i] * x[off + i];
  double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (std::size_t i = 0; i < n; ++i) x[off + i] = x[off + i] * r * w.values[i];
}

void rope(Vec& x, std::int64_t heads, std::int64_t hd, std::int64_t pos, double theta) {
  for (std::int64_t h = 0; h < heads; ++h)
    for (std::int64_t i = 0; i < hd / 2; ++i) {
      double a = static_cast<double>(pos) * std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(hd));
      double& x1 = x[h * hd + i];
      double& x2 = x[h * hd + i + hd / 2];
      double r1 = x1 * std::cos(a) - x2 * std::sin(a), r2 = x2 * std::cos(a) + x1 * std::sin(a);
      x1 = r1;
      x2 = r2;
    }
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

Vec swiglu_ffn(const SyntheticTensor& gate, const SyntheticTensor& up, const SyntheticTensor& down, const Vec& x,
               std::int64_t slice = -1) {
  Vec g = linear(gate, x, slice), u = linear(up, x, slice);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = silu(g[i]) * u[i];
  return linear(down, g, slice);
}

}  // namespace

ModelConfig synthetic_config(const std::string& arch) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 61;
  c.hidden_size = 20;
  c.n_layers = 3;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 6;
  c.ffn_size = 14;
  c.rms_norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  c.context_length = 64;
  c.tie_word_embeddings = arch != "qwen3moe";
  c.attention_bias = arch == "qwen2";
  c.qk_norm = arch != "qwen2";
  if (arch == "qwen3moe") {
    c.n_experts = 5;
    c.n_experts_used = 2;
    c.expert_ffn_size = 10;
  }
  return c;
}

SyntheticWeights::SyntheticWeights(const ModelConfig& c, std::uint32_t seed, DType matrix_type) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto add = [&](const std::string& name, std::vector<std::int64_t> shape, float scale, float offset = 0.0f) {
    SyntheticTensor t;
    t.shape = std::move(shape);
    std::int64_t n = 1;
    for (auto d : t.shape) n *= d;
    t.dtype = t.shape.size() >= 2 ? matrix_type : DType::F32;
    for (std::int64_t i = 0; i < n; ++i) {
      float v = offset + scale * normal(rng);
      if (t.dtype == DType::BF16) v = bf16_to_f32(f32_to_bf16(v));
      if (t.dtype == DType::F16) v = f16_to_f32(f32_to_f16(v));
      t.values.push_back(v);
    }
    tensors[name] = std::move(t);
  };
  const std::int64_t h = c.hidden_size, q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
  const float s = 1.0f / std::sqrt(static_cast<float>(h));
  add("token_embd.weight", {c.vocab_size, h}, 1.0f);
  add("output_norm.weight", {h}, 0.1f, 1.0f);
  if (!c.tie_word_embeddings) add("output.weight", {c.vocab_size, h}, s);
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    add(blk(l, "attn_norm.weight"), {h}, 0.1f, 1.0f);
    add(blk(l, "attn_q.weight"), {q, h}, s);
    add(blk(l, "attn_k.weight"), {kv, h}, s);
    add(blk(l, "attn_v.weight"), {kv, h}, s);
    add(blk(l, "attn_output.weight"), {h, q}, 2.0f / std::sqrt(static_cast<float>(q)));
    if (c.attention_bias) {
      add(blk(l, "attn_q.bias"), {q}, 0.5f);
      add(blk(l, "attn_k.bias"), {kv}, 0.5f);
      add(blk(l, "attn_v.bias"), {kv}, 0.5f);
    }
    if (c.qk_norm) {
      add(blk(l, "attn_q_norm.weight"), {c.head_dim}, 0.1f, 1.0f);
      add(blk(l, "attn_k_norm.weight"), {c.head_dim}, 0.1f, 1.0f);
    }
    add(blk(l, "ffn_norm.weight"), {h}, 0.1f, 1.0f);
    if (c.layer_is_moe(l)) {
      const std::int64_t e = c.n_experts, f = c.expert_ffn_size;
      add(blk(l, "ffn_gate_inp.weight"), {e, h}, 2.0f * s);
      add(blk(l, "ffn_gate_exps.weight"), {e, f, h}, s);
      add(blk(l, "ffn_up_exps.weight"), {e, f, h}, s);
      add(blk(l, "ffn_down_exps.weight"), {e, h, f}, 2.0f / std::sqrt(static_cast<float>(f)));
    } else {
      add(blk(l, "ffn_gate.weight"), {c.ffn_size, h}, s);
      add(blk(l, "ffn_up.weight"), {c.ffn_size, h}, s);
      add(blk(l, "ffn_down.weight"), {h, c.ffn_size}, 2.0f / std::sqrt(static_cast<float>(c.ffn_size)));
    }
  }
}

std::unique_ptr<WeightStore> SyntheticWeights::store() {
  auto store = std::make_unique<WeightStore>();
  encoded_.clear();
  for (const auto& [name, t] : tensors) {
    TensorView v;
    v.name = name;
    v.dtype = t.dtype;
    v.shape = t.shape;
    if (t.dtype == DType::F32) {
      v.data = t.values.data();
      v.nbytes = static_cast<std::int64_t>(t.values.size() * sizeof(float));
    } else if (t.dtype == DType::F16 || t.dtype == DType::BF16) {
      auto& enc = encoded_.emplace_back();
      for (float x : t.values) enc.push_back(t.dtype == DType::F16 ? f32_to_f16(x) : f32_to_bf16(x));
      v.data = enc.data();
      v.nbytes = static_cast<std::int64_t>(enc.size() * 2);
    } else {
      static const std::uint8_t kJunk[64] = {};
      v.data = kJunk;  // a type the backend must refuse before reading
      v.nbytes = 0;
    }
    store->add(std::move(v));
  }
  return store;
}

std::vector<std::vector<double>> SyntheticWeights::reference_logits(const ModelConfig& c,
                                                                    const std::vector<std::int32_t>& tokens,
                                                                    bool kv_f16) const {
  const auto& t = tensors;
  const std::int64_t h = c.hidden_size, hd = c.head_dim, group = c.n_heads / c.n_kv_heads;
  const std::size_t n = tokens.size();
  std::vector<Vec> x(n);
  for (std::size_t p = 0; p < n; ++p) {
    const auto& e = at(t, "token_embd.weight");
    x[p].assign(e.values.begin() + tokens[p] * h, e.values.begin() + (tokens[p] + 1) * h);
  }
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    std::vector<Vec> q(n), k(n), v(n);
    const bool bias = c.attention_bias;
    for (std::size_t p = 0; p < n; ++p) {
      Vec hn = x[p];
      rms_norm(hn, 0, static_cast<std::size_t>(h), at(t, blk(l, "attn_norm.weight")), c.rms_norm_eps);
      q[p] = linear(at(t, blk(l, "attn_q.weight")), hn, -1, bias ? &at(t, blk(l, "attn_q.bias")) : nullptr);
      k[p] = linear(at(t, blk(l, "attn_k.weight")), hn, -1, bias ? &at(t, blk(l, "attn_k.bias")) : nullptr);
      v[p] = linear(at(t, blk(l, "attn_v.weight")), hn, -1, bias ? &at(t, blk(l, "attn_v.bias")) : nullptr);
      if (c.qk_norm) {
        for (std::int64_t hh = 0; hh < c.n_heads; ++hh)
          rms_norm(q[p], static_cast<std::size_t>(hh * hd), static_cast<std::size_t>(hd),
                   at(t, blk(l, "attn_q_norm.weight")), c.rms_norm_eps);
        for (std::int64_t hh = 0; hh < c.n_kv_heads; ++hh)
          rms_norm(k[p], static_cast<std::size_t>(hh * hd), static_cast<std::size_t>(hd),
                   at(t, blk(l, "attn_k_norm.weight")), c.rms_norm_eps);
      }
      rope(q[p], c.n_heads, hd, static_cast<std::int64_t>(p), c.rope_theta);
      rope(k[p], c.n_kv_heads, hd, static_cast<std::int64_t>(p), c.rope_theta);
      if (kv_f16) {
        // The cache rounds the engine's f32 value; this rounds the double's f32 value. They round alike except
        // at an f16 rounding boundary, which is rare and moves a logit far less than the tests' tolerance.
        for (double& e : k[p]) e = f16_to_f32(f32_to_f16(static_cast<float>(e)));
        for (double& e : v[p]) e = f16_to_f32(f32_to_f16(static_cast<float>(e)));
      }
    }
    for (std::size_t p = 0; p < n; ++p) {
      Vec att(static_cast<std::size_t>(c.n_heads * hd), 0.0);
      for (std::int64_t hh = 0; hh < c.n_heads; ++hh) {
        const std::int64_t kvh = hh / group;
        Vec s(p + 1);
        for (std::size_t j = 0; j <= p; ++j) {
          double d = 0;
          for (std::int64_t i = 0; i < hd; ++i) d += q[p][hh * hd + i] * k[j][kvh * hd + i];
          s[j] = d / std::sqrt(static_cast<double>(hd));
        }
        double mx = *std::max_element(s.begin(), s.end()), sum = 0;
        for (double& z : s) sum += (z = std::exp(z - mx));
        for (std::size_t j = 0; j <= p; ++j)
          for (std::int64_t i = 0; i < hd; ++i) att[hh * hd + i] += s[j] / sum * v[j][kvh * hd + i];
      }
      Vec o = linear(at(t, blk(l, "attn_output.weight")), att);
      for (std::int64_t i = 0; i < h; ++i) x[p][i] += o[i];
    }
    for (std::size_t p = 0; p < n; ++p) {
      Vec hn = x[p];
      rms_norm(hn, 0, static_cast<std::size_t>(h), at(t, blk(l, "ffn_norm.weight")), c.rms_norm_eps);
      Vec f(static_cast<std::size_t>(h), 0.0);
      if (c.layer_is_moe(l)) {
        Vec r = linear(at(t, blk(l, "ffn_gate_inp.weight")), hn);
        double mx = *std::max_element(r.begin(), r.end()), sum = 0;
        for (double& z : r) sum += (z = std::exp(z - mx));
        for (double& z : r) z /= sum;
        std::vector<int> ids(r.size());
        std::iota(ids.begin(), ids.end(), 0);
        std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return r[a] > r[b]; });
        ids.resize(static_cast<std::size_t>(c.n_experts_used));
        double top = 0;
        for (int e : ids) top += r[e];
        for (int e : ids) {
          Vec y = swiglu_ffn(at(t, blk(l, "ffn_gate_exps.weight")), at(t, blk(l, "ffn_up_exps.weight")),
                             at(t, blk(l, "ffn_down_exps.weight")), hn, e);
          double w = c.norm_topk_prob ? r[e] / top : r[e];
          for (std::int64_t i = 0; i < h; ++i) f[i] += w * y[i];
        }
      } else {
        f = swiglu_ffn(at(t, blk(l, "ffn_gate.weight")), at(t, blk(l, "ffn_up.weight")),
                       at(t, blk(l, "ffn_down.weight")), hn);
      }
      for (std::int64_t i = 0; i < h; ++i) x[p][i] += f[i];
    }
  }
  const auto& out_w = t.count("output.weight") ? at(t, "output.weight") : at(t, "token_embd.weight");
  std::vector<Vec> logits;
  for (std::size_t p = 0; p < n; ++p) {
    Vec hn = x[p];
    rms_norm(hn, 0, static_cast<std::size_t>(h), at(t, "output_norm.weight"), c.rms_norm_eps);
    logits.push_back(linear(out_w, hn));
  }
  return logits;
}

}  // namespace hearth::test
