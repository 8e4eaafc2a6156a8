#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "util/error.h"

namespace hearth {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Without top-k, top-p first looks among this many most probable tokens and sorts the whole vocabulary
// only when they do not reach top_p.
constexpr std::size_t kTopPWindow = 1024;

bool before(const TokenProb& a, const TokenProb& b) {
  return a.prob > b.prob || (a.prob == b.prob && a.token < b.token);
}

}  // namespace

void SamplingParams::validate() const {
  require(std::isfinite(temperature) && temperature >= 0.0f, "temperature must be >= 0, got {}", temperature);
  require(std::isfinite(top_p) && top_p > 0.0f && top_p <= 1.0f, "top_p must be in (0, 1], got {}", top_p);
  require(std::isfinite(min_p) && min_p >= 0.0f && min_p <= 1.0f, "min_p must be in [0, 1], got {}", min_p);
  require(std::isfinite(repetition_penalty) && repetition_penalty > 0.0f, "repetition_penalty must be > 0, got {}",
          repetition_penalty);
  require(repeat_last_n >= -1, "repeat_last_n must be >= -1, got {}", repeat_last_n);
  require(std::isfinite(presence_penalty), "presence_penalty must be a finite number");
  require(std::isfinite(frequency_penalty), "frequency_penalty must be a finite number");
  for (const auto& [id, bias] : logit_bias) require(!std::isnan(bias), "logit_bias for token {} is not a number", id);
}

SamplingParams SamplingParams::from_generation_config(const GenerationConfig& g) {
  SamplingParams p;
  if (!g.do_sample) {
    p.temperature = 0.0f;
  } else {
    p.temperature = g.temperature.value_or(1.0f);
  }
  if (g.top_k) p.top_k = static_cast<std::int32_t>(std::clamp<std::int64_t>(*g.top_k, 0, INT32_MAX));
  p.top_p = g.top_p.value_or(1.0f);
  p.min_p = g.min_p.value_or(0.0f);
  p.repetition_penalty = g.repetition_penalty.value_or(1.0f);
  return p;
}

Sampler::Sampler(const SamplingParams& params, std::int64_t vocab_size) : params_(params), vocab_size_(vocab_size) {
  params_.validate();
  require(vocab_size > 0, "sampler: vocabulary size must be positive");
  for (const auto& [id, bias] : params_.logit_bias)
    require(id >= 0 && id < vocab_size, "logit_bias: token id {} is outside the vocabulary (0..{})", id,
            vocab_size - 1);
  rng_.seed(params_.seed ? *params_.seed : std::random_device{}());
}

void Sampler::accept_prompt(std::span<const std::int32_t> tokens) {
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  n_prompt_ = history_.size();
}

void Sampler::accept(std::int32_t token) {
  history_.push_back(token);
  ++generated_counts_[token];
}

void Sampler::reset() {
  history_.clear();
  n_prompt_ = 0;
  generated_counts_.clear();
}

bool Sampler::penalised_logits(std::span<const float> logits) {
  require(static_cast<std::int64_t>(logits.size()) == vocab_size_, "sampler: {} logits for a vocabulary of {}",
          logits.size(), vocab_size_);
  work_.assign(logits.begin(), logits.end());
  for (float& v : work_)
    if (std::isnan(v)) v = kNegInf;
  for (const auto& [id, bias] : params_.logit_bias) work_[id] += bias;

  if (params_.repetition_penalty != 1.0f && params_.repeat_last_n != 0) {
    std::size_t n = params_.repeat_last_n < 0
                        ? history_.size()
                        : std::min(history_.size(), static_cast<std::size_t>(params_.repeat_last_n));
    std::unordered_set<std::int32_t> seen;
    for (std::size_t i = history_.size() - n; i < history_.size(); ++i) {
      std::int32_t t = history_[i];
      if (t < 0 || t >= vocab_size_ || !seen.insert(t).second) continue;
      float& v = work_[t];
      v = v > 0.0f ? v / params_.repetition_penalty : v * params_.repetition_penalty;
    }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    for (const auto& [t, count] : generated_counts_) {
      if (t < 0 || t >= vocab_size_) continue;
      work_[t] -= params_.frequency_penalty * static_cast<float>(count) + params_.presence_penalty;
    }
  }
  return std::any_of(work_.begin(), work_.end(), [](float v) { return std::isfinite(v) || v > 0; });
}

std::int32_t Sampler::argmax_work() const {
  return static_cast<std::int32_t>(std::max_element(work_.begin(), work_.end()) - work_.begin());
}

double Sampler::filter(bool sorted) {
  const float inv_t = 1.0f / params_.temperature;
  float mx = kNegInf;
  for (float& v : work_) {
    v *= inv_t;
    mx = std::max(mx, v);
  }
  cand_.clear();
  double total = 0.0;
  for (std::size_t i = 0; i < work_.size(); ++i) {
    if (work_[i] == kNegInf) continue;
    float p = std::exp(work_[i] - mx);
    cand_.push_back({static_cast<std::int32_t>(i), p});
    total += p;
  }
  auto sort_prefix = [&](std::size_t n) {
    n = std::min(n, cand_.size());
    std::partial_sort(cand_.begin(), cand_.begin() + static_cast<std::ptrdiff_t>(n), cand_.end(), before);
    return n;
  };

  const bool top_k = params_.top_k > 0 && static_cast<std::size_t>(params_.top_k) < cand_.size();
  const bool top_p = params_.top_p < 1.0f;
  const bool min_p = params_.min_p > 0.0f;
  bool is_sorted = false;
  if (top_k) {
    cand_.resize(sort_prefix(static_cast<std::size_t>(params_.top_k)));
    is_sorted = true;
    total = 0.0;
    for (const auto& c : cand_) total += c.prob;
  }
  if (top_p) {
    const double target = static_cast<double>(params_.top_p) * total;
    std::size_t window = is_sorted ? cand_.size() : sort_prefix(kTopPWindow);
    double cum = 0.0;
    std::size_t keep = 0;
    while (keep < window && cum < target) cum += cand_[keep++].prob;
    if (cum < target && keep < cand_.size()) {  // the window was too small: sort everything
      sort_prefix(cand_.size());
      while (keep < cand_.size() && cum < target) cum += cand_[keep++].prob;
    }
    cand_.resize(std::max<std::size_t>(keep, 1));
    is_sorted = true;
    total = cum;
    if (keep == 0) total = cand_[0].prob;
  }
  if (min_p && !cand_.empty()) {
    float pmax = 0.0f;
    for (const auto& c : cand_) pmax = std::max(pmax, c.prob);
    const float threshold = params_.min_p * pmax;
    std::erase_if(cand_, [&](const TokenProb& c) { return c.prob < threshold; });
    total = 0.0;
    for (const auto& c : cand_) total += c.prob;
  }
  if (sorted && !is_sorted) std::sort(cand_.begin(), cand_.end(), before);
  return total;
}

double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

std::int32_t Sampler::sample(std::span<const float> logits) {
  if (!penalised_logits(logits) || params_.greedy()) return argmax_work();
  const double total = filter(false);
  if (cand_.empty() || !(total > 0.0)) return argmax_work();
  const double u = next_uniform() * total;
  double cum = 0.0;
  for (const auto& c : cand_) {
    cum += c.prob;
    if (u < cum) return c.token;
  }
  return cand_.back().token;  // rounding left u just past the sum
}

std::vector<TokenProb> Sampler::distribution(std::span<const float> logits) {
  if (!penalised_logits(logits) || params_.greedy()) return {{argmax_work(), 1.0f}};
  const double total = filter(true);
  std::vector<TokenProb> out;
  if (cand_.empty() || !(total > 0.0)) return {{argmax_work(), 1.0f}};
  out.reserve(cand_.size());
  for (const auto& c : cand_) out.push_back({c.token, static_cast<float>(c.prob / total)});
  return out;
}

}  // namespace hearth
