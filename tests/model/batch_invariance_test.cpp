// Batch invariance: a token's logits are bit-identical whether its sequence runs alone, mixed with other
// sequences in one batch, prefilled in one pass, in chunks, or decoded token by token. The scheduler's
// continuous batching relies on it (greedy outputs must not depend on the load).
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "backend/cpu/cpu_backend.h"
#include "format/model_files.h"
#include "model/model.h"
#include "model_sources.h"
#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

// Logits are requested at every 5th position and the last one (bounds memory; all rows are computed).
bool wanted(std::size_t t, std::size_t n) { return t % 5 == 0 || t + 1 == n; }

using RowKey = std::pair<int, std::size_t>;  // (prompt, position)

void expect_same_rows(const std::map<RowKey, std::vector<float>>& got, const std::map<RowKey, std::vector<float>>& want,
                      const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (const auto& [key, row] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << what;
    ASSERT_EQ(std::memcmp(it->second.data(), row.data(), row.size() * sizeof(float)), 0)
        << what << ": prompt " << key.first << " position " << key.second << " differs";
  }
}

struct InvarianceCase {
  std::string model;
  const cpu::Kernels* kernels;
};

void PrintTo(const InvarianceCase& c, std::ostream* os) { *os << c.model << " with " << c.kernels->name << " kernels"; }

class BatchInvarianceTest : public ::testing::TestWithParam<InvarianceCase> {};

TEST_P(BatchInvarianceTest, LogitsDoNotDependOnTheBatch) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", GetParam().model);
  ModelFiles files = open_model_files(hf_model_dir(GetParam().model).string());
  cpu::CpuBackend backend(2, GetParam().kernels);
  auto model = load_model(files, backend);
  const int n_prompts = static_cast<int>(ref.prompts.size());

  // 1. Each prompt alone, prefilled in one pass.
  std::map<RowKey, std::vector<float>> alone;
  for (int p = 0; p < n_prompts; ++p) {
    const auto& ids = ref.prompts[p].ids;
    auto cache = model->create_kv_cache(static_cast<std::int64_t>(ids.size()));
    cache->add_sequence(0);
    Batch b;
    for (std::size_t t = 0; t < ids.size(); ++t) b.add(ids[t], 0, static_cast<std::int32_t>(t), wanted(t, ids.size()));
    Logits l = model->forward(b, *cache);
    std::int64_t r = 0;
    for (std::size_t t = 0; t < ids.size(); ++t)
      if (wanted(t, ids.size())) {
        auto row = l.row(r++);
        alone[{p, t}].assign(row.begin(), row.end());
      }
  }

  // 2. All prompts in one batch, their tokens interleaved round-robin (sequence ids 100 + p).
  {
    std::int64_t total = 0;
    for (const auto& rp : ref.prompts) total += static_cast<std::int64_t>(rp.ids.size());
    auto cache = model->create_kv_cache(total + 16 * n_prompts, 16);
    Batch b;
    std::vector<RowKey> keys;
    for (int p = 0; p < n_prompts; ++p) cache->add_sequence(100 + p);
    for (std::size_t t = 0;; ++t) {
      bool any = false;
      for (int p = 0; p < n_prompts; ++p) {
        const auto& ids = ref.prompts[p].ids;
        if (t >= ids.size()) continue;
        any = true;
        b.add(ids[t], 100 + p, static_cast<std::int32_t>(t), wanted(t, ids.size()));
        if (wanted(t, ids.size())) keys.push_back({p, t});
      }
      if (!any) break;
    }
    Logits l = model->forward(b, *cache);
    std::map<RowKey, std::vector<float>> mixed;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto row = l.row(static_cast<std::int64_t>(i));
      mixed[keys[i]].assign(row.begin(), row.end());
    }
    expect_same_rows(mixed, alone, "one batch of all prompts");
  }

  // 3. The longest prompt in uneven chunks, and the multi-turn chat token by token, each while another
  //    sequence decodes in the same batches.
  for (const auto& [name, chunk] :
       std::vector<std::pair<std::string, std::size_t>>{{"long-zh", 37}, {"chat-multi-turn", 1}}) {
    int p = 0;
    while (ref.prompts[p].name != name) ++p;
    const auto& ids = ref.prompts[p].ids;
    const auto& other = ref.prompts[0].ids;
    auto cache = model->create_kv_cache(static_cast<std::int64_t>(ids.size() + other.size()) + 64, 16);
    cache->add_sequence(1);
    cache->add_sequence(2);
    std::map<RowKey, std::vector<float>> chunked;
    std::size_t other_pos = 0;
    for (std::size_t begin = 0; begin < ids.size(); begin += chunk) {
      Batch b;
      if (other_pos < other.size()) {
        b.add(other[other_pos], 2, static_cast<std::int32_t>(other_pos), false);
        ++other_pos;
      }
      std::vector<std::size_t> rows;
      for (std::size_t t = begin; t < std::min(ids.size(), begin + chunk); ++t) {
        b.add(ids[t], 1, static_cast<std::int32_t>(t), wanted(t, ids.size()));
        if (wanted(t, ids.size())) rows.push_back(t);
      }
      Logits l = model->forward(b, *cache);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        auto row = l.row(static_cast<std::int64_t>(i));
        chunked[{p, rows[i]}].assign(row.begin(), row.end());
      }
    }
    std::map<RowKey, std::vector<float>> want;
    for (const auto& [key, row] : alone)
      if (key.first == p) want[key] = row;
    expect_same_rows(chunked, want, name == "long-zh" ? "chunked prefill" : "token-by-token decode");
  }
}

std::vector<InvarianceCase> cases() {
  std::vector<InvarianceCase> out;
  for (const cpu::Kernels* k : cpu::available_kernels()) out.push_back({"qwen3moe-tiny", k});
  out.push_back({"qwen2-tiny", &cpu::cpu_kernels()});
  return out;
}

INSTANTIATE_TEST_SUITE_P(TinyModels, BatchInvarianceTest, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string s = info.param.model + "_" + info.param.kernels->name;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
});

}  // namespace
}  // namespace hearth::test
