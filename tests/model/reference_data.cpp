#include "reference_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/model.h"

namespace hearth::test {

Reference load_reference(const std::filesystem::path& dir, const std::string& name) {
  std::ifstream in(dir / (name + ".json"));
  if (!in) throw std::runtime_error("cannot open reference " + (dir / (name + ".json")).string());
  nlohmann::json j = nlohmann::json::parse(in);
  Reference r;
  r.model = name;
  r.vocab_size = j.at("vocab_size").get<std::int64_t>();
  for (const auto& p : j.at("prompts")) {
    ReferencePrompt rp;
    rp.name = p.at("name").get<std::string>();
    rp.ids = p.at("ids").get<std::vector<std::int32_t>>();
    rp.topk_ids = p.at("topk_ids").get<std::vector<std::vector<std::int32_t>>>();
    rp.topk_logits = p.at("topk_logits").get<std::vector<std::vector<float>>>();
    rp.greedy = p.at("greedy").get<std::vector<std::int32_t>>();
    r.prompts.push_back(std::move(rp));
  }
  std::ifstream bin(dir / j.at("last_logits_file").get<std::string>(), std::ios::binary);
  if (!bin) throw std::runtime_error("cannot open the last-logits file of " + name);
  r.last_logits.resize(r.prompts.size() * static_cast<std::size_t>(r.vocab_size));
  bin.read(reinterpret_cast<char*>(r.last_logits.data()),
           static_cast<std::streamsize>(r.last_logits.size() * sizeof(float)));
  if (!bin) throw std::runtime_error("short last-logits file for " + name);
  return r;
}

std::vector<std::int32_t> top_ids(std::span<const float> logits, int n) {
  std::vector<std::int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  n = std::min<int>(n, static_cast<int>(ids.size()));
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(), [&](std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  ids.resize(static_cast<std::size_t>(n));
  return ids;
}

std::int32_t argmax(std::span<const float> logits) {
  return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::string check_topk(std::span<const float> logits, const std::vector<std::int32_t>& ref_ids,
                       const std::vector<float>& ref_logits, double tolerance) {
  double scale = 0;
  for (float v : ref_logits) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  const double tol = tolerance * scale;
  std::ostringstream err;
  for (std::size_t i = 0; i < ref_ids.size(); ++i) {
    double diff = std::fabs(static_cast<double>(logits[ref_ids[i]]) - ref_logits[i]);
    if (diff > tol) {
      err << "logit of id " << ref_ids[i] << " (rank " << i << ") is " << logits[ref_ids[i]] << ", reference "
          << ref_logits[i] << " (|diff| " << diff << " > " << tol << ")";
      return err.str();
    }
  }
  auto ours = top_ids(logits, static_cast<int>(ref_ids.size()));
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] == ref_ids[i]) continue;
    // A swap is fine only between logits the reference itself has tied within the tolerance.
    auto it = std::find(ref_ids.begin(), ref_ids.end(), ours[i]);
    double ref_of_ours = it != ref_ids.end() ? ref_logits[static_cast<std::size_t>(it - ref_ids.begin())]
                                             : static_cast<double>(logits[ours[i]]);
    if (std::fabs(ref_of_ours - ref_logits[i]) > tol) {
      err << "rank " << i << ": id " << ours[i] << " (" << logits[ours[i]] << "), reference id " << ref_ids[i] << " ("
          << ref_logits[i] << ")";
      return err.str();
    }
  }
  return {};
}

double relative_error(std::span<const float> a, std::span<const float> ref) {
  double max_diff = 0, max_ref = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(a[i]) - ref[i]));
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref[i])));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

double relative_l2_error(std::span<const float> a, std::span<const float> ref) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(a[i]) - ref[i];
    diff += d * d;
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

PromptRun run_prompt(Model& model, const std::vector<std::int32_t>& ids, int n_greedy) {
  auto cache = model.create_kv_cache(static_cast<std::int64_t>(ids.size()) + n_greedy);
  cache->add_sequence(0);
  Batch batch;
  for (std::size_t t = 0; t < ids.size(); ++t) batch.add(ids[t], 0, static_cast<std::int32_t>(t), true);
  PromptRun run;
  run.logits = model.forward(batch, *cache);
  std::int32_t next = argmax(run.logits.row(run.logits.n_rows - 1));
  Logits step;
  for (int i = 0; i < n_greedy; ++i) {
    run.greedy.push_back(next);
    if (i + 1 == n_greedy) break;
    batch.clear();
    batch.add(next, 0, static_cast<std::int32_t>(ids.size()) + i, true);
    model.forward(batch, *cache, step);
    next = argmax(step.row(0));
  }
  return run;
}

void expect_matches_reference(Model& model, const Reference& ref, bool exact) {
  ASSERT_EQ(model.config().vocab_size, ref.vocab_size);
  std::int64_t positions = 0, top1_agree = 0;
  double worst_last = 0;
  for (std::size_t p = 0; p < ref.prompts.size(); ++p) {
    const ReferencePrompt& rp = ref.prompts[p];
    SCOPED_TRACE("prompt " + rp.name);
    PromptRun run = run_prompt(model, rp.ids, static_cast<int>(rp.greedy.size()));
    ASSERT_EQ(run.logits.n_rows, static_cast<std::int64_t>(rp.ids.size()));
    for (std::size_t t = 0; t < rp.ids.size(); ++t) {
      auto row = run.logits.row(static_cast<std::int64_t>(t));
      ++positions;
      top1_agree += argmax(row) == rp.topk_ids[t][0];
      if (exact) {
        EXPECT_EQ(check_topk(row, rp.topk_ids[t], rp.topk_logits[t], kF32Tolerance), "") << "position " << t;
      }
    }
    const double last = relative_error(run.logits.row(run.logits.n_rows - 1), ref.last(p));
    worst_last = std::max(worst_last, last);
    if (exact) {
      EXPECT_LE(last, kF32Tolerance);
      EXPECT_EQ(run.greedy, rp.greedy);
    }
  }
  EXPECT_GE(static_cast<double>(top1_agree), 0.99 * static_cast<double>(positions))
      << top1_agree << " of " << positions << " positions agree on the top-1 token";
  ::testing::Test::RecordProperty("worst_last_logits_relative_error", std::to_string(worst_last));
  std::printf("  %s: worst last-position relative error %.3g, top-1 agreement %lld/%lld\n", ref.model.c_str(),
              worst_last, static_cast<long long>(top1_agree), static_cast<long long>(positions));
}

}  // namespace hearth::test
